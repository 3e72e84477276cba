using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class SwiGluOpTests
{
    [Fact]
    public void GateAndUpGradients_MatchFiniteDifferences()
    {
        var rng = new Random(51);
        var gate = GradientCheck.Random(rng, 3f, 5, 9);
        var up = GradientCheck.Random(rng, 1f, 5, 9);
        var g = new LossWeights(rng, 5, 9);
        var y = Tensor.Zeros(5, 9);
        var dGate = Tensor.Zeros(5, 9);
        var dUp = Tensor.Zeros(5, 9);
        SwiGluOp.Backward(gate, up, g.Gradient, dGate, dUp);
        Func<double[]> forward = () => { SwiGluOp.Forward(ReferenceKernels.Instance, gate, up, y); return GradientCheck.Values(y); };

        GradientCheck.Check("dGate", gate, dGate, forward, g.Values, Tolerance.Smooth, rng);
        GradientCheck.Check("dUp", up, dUp, forward, g.Values, Tolerance.Linear, rng);
    }
}
