using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class RopeOpTests
{
    private const float Theta = 10000f;

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void Gradient_MatchesFiniteDifferences(int startPos)
    {
        var rng = new Random(61 + startPos);
        var x = GradientCheck.Random(rng, 1f, 2, 5, 3, 6);
        var g = new LossWeights(rng, 2, 5, 3, 6);
        var dx = Tensor.Zeros(2, 5, 3, 6);
        RopeOp.Backward(g.Gradient, dx, startPos, Theta);

        GradientCheck.Check("dx", x, dx, () =>
        {
            var y = x.Clone();
            RopeOp.Forward(ReferenceKernels.Instance, y, startPos, Theta);
            return GradientCheck.Values(y);
        }, g.Values, Tolerance.Linear, rng);
    }

    [Fact]
    public void InPlaceBackward_EqualsAccumulatingBackwardIntoZero()
    {
        var rng = new Random(62);
        var grad = GradientCheck.Random(rng, 1f, 1, 4, 2, 8);
        var dx = Tensor.Zeros(1, 4, 2, 8);
        RopeOp.Backward(grad, dx, 3, Theta);
        RopeOp.BackwardInPlace(grad, 3, Theta);
        Assert.Equal(dx.ToArray(), grad.ToArray());
    }
}
