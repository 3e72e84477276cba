using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class RmsNormOpTests
{
    private const float Eps = 1e-5f;
    private const double ForwardTolerance = 1e-6;

    [Fact]
    public void InputGradient_MatchesFiniteDifferences()
    {
        var rng = new Random(31);
        var x = GradientCheck.Random(rng, 1f, 6, 11);
        var gamma = GradientCheck.Random(rng, 1f, 11);
        var g = new LossWeights(rng, 6, 11);
        var y = Tensor.Zeros(6, 11);
        var op = new RmsNormOp(gamma, Eps);
        op.Forward(x, y);
        var dx = Tensor.Zeros(6, 11);
        op.Backward(g.Gradient, dx);

        GradientCheck.Check("dx", x, dx, () => { new RmsNormOp(gamma, Eps).Forward(x, y); return GradientCheck.Values(y); },
            g.Values, Tolerance.Smooth, rng);
    }

    [Fact]
    public void Forward_MatchesReferenceKernel()
    {
        var rng = new Random(32);
        var x = GradientCheck.Random(rng, 3f, 4, 9);
        var gamma = GradientCheck.Random(rng, 1f, 9);
        var y = Tensor.Zeros(4, 9);
        var expected = Tensor.Zeros(4, 9);
        new RmsNormOp(gamma, Eps).Forward(x, y);
        ReferenceKernels.Instance.RmsNorm(x, gamma, expected, Eps);
        for (int i = 0; i < y.Count; i++) Assert.Equal(expected.Span[i], y.Span[i], ForwardTolerance);
    }
}
