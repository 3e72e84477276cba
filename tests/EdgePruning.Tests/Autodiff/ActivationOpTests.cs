using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class ActivationOpTests
{
    /// <summary>Float derivatives against the double definitions: f32 resolution plus the erf approximation.</summary>
    private const double DerivativeTolerance = 2e-6;

    [Theory]
    [InlineData(Activation.GeluErf)]
    [InlineData(Activation.GeluTanh)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Silu)]
    public void InputGradient_MatchesFiniteDifferences(Activation activation)
    {
        var rng = new Random(41 + (int)activation);
        // Magnitudes of at least 0.1·3 keep ReLU's kink beyond the finite-difference step.
        var x = GradientCheck.Random(rng, 3f, 6, 11);
        var g = new LossWeights(rng, 6, 11);
        var y = Tensor.Zeros(6, 11);
        var dx = Tensor.Zeros(6, 11);
        ActivationOp.Backward(activation, x, g.Gradient, dx);

        GradientCheck.Check("dx", x, dx, () => { ActivationOp.Forward(ReferenceKernels.Instance, activation, x, y); return GradientCheck.Values(y); },
            g.Values, Tolerance.Smooth, rng);
    }

    [Theory]
    [InlineData(Activation.GeluErf)]
    [InlineData(Activation.GeluTanh)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Silu)]
    public void FloatDerivative_MatchesDoubleDefinition(Activation activation)
    {
        for (double x = -8.03; x < 8; x += 0.0173)
            Assert.Equal(ActivationMath.Derivative(activation, x), ActivationOp.Derivative(activation, (float)x), DerivativeTolerance);
    }
}
