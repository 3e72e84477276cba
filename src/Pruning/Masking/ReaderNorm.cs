using EdgePruning.Autodiff.Ops;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>The norm in front of a reader's projection (LayerNorm, RMSNorm or none), with its backward.</summary>
internal sealed class ReaderNorm
{
    private readonly LayerNormOp? _ln;
    private readonly RmsNormOp? _rms;

    public ReaderNorm(TransformerConfig c, Tensor? weight, Tensor? bias)
    {
        switch (c.Norm)
        {
            case NormKind.LayerNorm: _ln = new LayerNormOp(weight!, bias, c.NormEps); break;
            case NormKind.RmsNorm: _rms = new RmsNormOp(weight!, c.NormEps); break;
        }
    }

    public void Forward(Tensor x, Tensor y)
    {
        if (_ln is not null) _ln.Forward(x, y);
        else if (_rms is not null) _rms.Forward(x, y);
        else x.Span.CopyTo(y.Span);
    }

    /// <summary>dx += d norm(x)/dx · dy.</summary>
    public void Backward(Tensor dy, Tensor dx)
    {
        if (_ln is not null) _ln.Backward(dy, dx);
        else if (_rms is not null) _rms.Backward(dy, dx);
        else System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, dy.Span, dx.Span);
    }
}
