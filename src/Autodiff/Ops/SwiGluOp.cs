using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y = silu(gate)·up elementwise (Llama's MLP). The backward needs gate and up, so y must not alias
/// either when a backward follows.
/// </summary>
public static class SwiGluOp
{
    public static void Forward(IKernels kernels, Tensor gate, Tensor up, Tensor y) => kernels.SwiGlu(gate, up, y);

    /// <summary>dGate += dy·up·silu′(gate); dUp += dy·silu(gate).</summary>
    public static void Backward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp) =>
        ActivationGradients.SwiGluBackward(gate, up, dy, dGate, dUp);
}
