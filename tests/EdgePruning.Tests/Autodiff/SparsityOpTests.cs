using EdgePruning.Autodiff.Ops;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class SparsityOpTests
{
    private const long Edges = 53;

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var rng = new Random(121);
        var z = GradientCheck.Random(rng, 1f, 37);
        const double ds = -1.3;
        var dz = Tensor.Zeros(37);
        SparsityOp.Backward(ds, Edges, dz.Span);
        GradientCheck.Check("dz", z, dz, () => [SparsityOp.Forward(z.Span, Edges)], [ds], Tolerance.Linear, rng);
    }

    [Fact]
    public void AllKept_IsZero_AndNoneKept_IsOne()
    {
        Assert.Equal(0.0, SparsityOp.Forward(Enumerable.Repeat(1f, 53).ToArray(), Edges), 1e-12);
        Assert.Equal(1.0, SparsityOp.Forward(new float[53], Edges), 1e-12);
    }
}
