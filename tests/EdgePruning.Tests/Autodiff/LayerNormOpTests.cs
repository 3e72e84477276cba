using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class LayerNormOpTests
{
    private const float Eps = 1e-5f;
    private const double ForwardTolerance = 1e-6;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InputGradient_MatchesFiniteDifferences(bool withBeta)
    {
        var rng = new Random(21);
        var x = GradientCheck.Random(rng, 1f, 5, 13);
        var gamma = GradientCheck.Random(rng, 1f, 13);
        var beta = withBeta ? GradientCheck.Random(rng, 1f, 13) : null;
        var g = new LossWeights(rng, 5, 13);
        var y = Tensor.Zeros(5, 13);
        var op = new LayerNormOp(gamma, beta, Eps);
        op.Forward(x, y);
        var dx = Tensor.Zeros(5, 13);
        op.Backward(g.Gradient, dx);

        GradientCheck.Check("dx", x, dx, () => { new LayerNormOp(gamma, beta, Eps).Forward(x, y); return GradientCheck.Values(y); },
            g.Values, Tolerance.Smooth, rng);
    }

    [Fact]
    public void Forward_MatchesReferenceKernel()
    {
        var rng = new Random(22);
        var x = GradientCheck.Random(rng, 3f, 4, 9);
        var gamma = GradientCheck.Random(rng, 1f, 9);
        var beta = GradientCheck.Random(rng, 1f, 9);
        var y = Tensor.Zeros(4, 9);
        var expected = Tensor.Zeros(4, 9);
        new LayerNormOp(gamma, beta, Eps).Forward(x, y);
        ReferenceKernels.Instance.LayerNorm(x, gamma, beta, expected, Eps);
        for (int i = 0; i < y.Count; i++) Assert.Equal(expected.Span[i], y.Span[i], ForwardTolerance);
    }

    [Fact]
    public void ManyRows_ParallelPathMatchesFiniteDifferences()
    {
        var rng = new Random(23);
        const int rows = 97, d = 401;
        var x = GradientCheck.Random(rng, 1f, rows, d);
        var gamma = GradientCheck.Random(rng, 1f, d);
        var beta = GradientCheck.Random(rng, 1f, d);
        var g = new LossWeights(rng, rows, d);
        var y = Tensor.Zeros(rows, d);
        var op = new LayerNormOp(gamma, beta, Eps);
        op.Forward(x, y);
        var dx = Tensor.Zeros(rows, d);
        op.Backward(g.Gradient, dx);

        GradientCheck.Check("dx", x, dx, () => { new LayerNormOp(gamma, beta, Eps).Forward(x, y); return GradientCheck.Values(y); },
            g.Values, Tolerance.Smooth, rng);
    }
}
