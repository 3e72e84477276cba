using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y = act(x) elementwise. The backward needs x, so a caller that wants it must not run the forward in
/// place. The backward is <see cref="ActivationGradients"/>.
/// </summary>
public static class ActivationOp
{
    public static void Forward(IKernels kernels, Activation activation, Tensor x, Tensor y)
        => kernels.Activate(activation, x, y);

    /// <summary>dx += dy·act′(x).</summary>
    public static void Backward(Activation activation, Tensor x, Tensor dy, Tensor dx) => ActivationGradients.Backward(activation, x, dy, dx);

    /// <summary>d act(x)/dx in float.</summary>
    public static float Derivative(Activation activation, float x) => ActivationGradients.Derivative(activation, x);
}
