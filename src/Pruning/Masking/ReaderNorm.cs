using EdgePruning.Kernels;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// The norm in front of a reader's projection (LayerNorm, RMSNorm or none), forward through the kernels and
/// backward through the gradient kernels, which recompute the statistics from the forward's input.
/// </summary>
internal sealed class ReaderNorm(TransformerConfig c, Tensor? weight, Tensor? bias, IKernels kernels, IGradientKernels gradients)
{
    /// <summary>Whether the norm adds a bias (LayerNorm's β).</summary>
    public bool HasBias => bias is not null;

    public void Forward(Tensor x, Tensor y)
    {
        switch (c.Norm)
        {
            case NormKind.LayerNorm: kernels.LayerNorm(x, weight!, bias, y, c.NormEps); break;
            case NormKind.RmsNorm: kernels.RmsNorm(x, weight!, y, c.NormEps); break;
            default: kernels.Copy(x, y); break;
        }
    }

    /// <summary>dx += d norm(x)/dx · dy, with x the forward's input.</summary>
    public void Backward(Tensor x, Tensor dy, Tensor dx)
    {
        switch (c.Norm)
        {
            case NormKind.LayerNorm: gradients.LayerNormBackward(x, weight!, dy, dx, c.NormEps); break;
            case NormKind.RmsNorm: gradients.RmsNormBackward(x, weight!, dy, dx, c.NormEps); break;
            default: gradients.Axpy(1f, dy, dx); break;
        }
    }
}
