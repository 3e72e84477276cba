using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Rotary position embedding on x [B,T,H,hd] (pairs (2i, 2i+1) rotated by pos·theta^(−2i/hd), as in
/// <see cref="IKernels.Rope"/>). A rotation's transpose is its inverse, so the backward rotates the
/// gradient by the opposite angle.
/// </summary>
public static class RopeOp
{
    /// <summary>Rotates x in place.</summary>
    public static void Forward(IKernels kernels, Tensor x, int startPos, float theta) => kernels.Rope(x, startPos, theta);

    /// <summary>dx += R(−angle)·dy. dx and dy must be different tensors; see <see cref="BackwardInPlace"/>.</summary>
    public static void Backward(Tensor dy, Tensor dx, int startPos, float theta)
    {
        OpChecks.Require(dy.Shape.Equals(dx.Shape), $"rope backward: dy {dy.Shape}, dx {dx.Shape}");
        Rotate(dy, dx, startPos, theta, accumulate: true);
    }

    /// <summary>
    /// Turns the gradient with respect to the rotated values into the gradient with respect to the values
    /// before rotation, in the same buffer: the match of an in-place forward.
    /// </summary>
    public static void BackwardInPlace(Tensor grad, int startPos, float theta) => Rotate(grad, grad, startPos, theta, accumulate: false);

    private static void Rotate(Tensor src, Tensor dst, int startPos, float theta, bool accumulate) =>
        RopeGradients.Rotate(src, dst, startPos, theta, accumulate);
}
