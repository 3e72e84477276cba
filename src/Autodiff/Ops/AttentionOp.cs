using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Multi-head attention with grouped keys/values over whole sequences: q [B,T,H,dk], k [B,S,KV,dk],
/// v [B,S,KV,dv], output [B,T,H,dv]; query head h reads KV head h/(H/KV). With causal, query t sees keys
/// 0..queryStart+t; an optional key mask [B,S] hides keys where it is false. The forward keeps the
/// softmax probabilities [B,H,T,S] (hidden keys hold 0) and references to q, k and v; a query that sees
/// no key outputs 0 and passes no gradient. The arithmetic is <see cref="AttentionGradients"/>.
/// </summary>
public sealed class AttentionOp
{
    private readonly float _scale;
    private readonly bool _causal;
    private readonly int _queryStart;
    private Tensor? _q, _k, _v, _p;
    private AttentionGeometry _g;

    public AttentionOp(float scale, bool causal, int queryStart = 0)
    {
        if (queryStart < 0) throw new ArgumentOutOfRangeException(nameof(queryStart));
        _scale = scale;
        _causal = causal;
        _queryStart = queryStart;
    }

    /// <summary>The probabilities of the last forward, [B,H,T,S].</summary>
    public Tensor Probabilities => _p ?? throw new InvalidOperationException("attention probabilities before forward");

    public void Forward(Tensor q, Tensor k, Tensor v, Tensor output, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, output, k.Shape[1], keyMask);
        if (_p is null || _p.Count != (long)g.Batch * g.Heads * g.Queries * g.MaxKeys)
            _p = Tensor.Empty(DType.F32, g.Batch, g.Heads, g.Queries, g.MaxKeys);
        _q = q; _k = k; _v = v; _g = g;
        AttentionGradients.Forward(g, q, k, v, output, _p, _scale, _causal, _queryStart, keyMask);
    }

    /// <summary>
    /// dq += ∂L/∂q, dk += ∂L/∂k, dv += ∂L/∂v given dOut = ∂L/∂output. The keys and values of a KV head
    /// collect the contributions of every query head in its group.
    /// </summary>
    public void Backward(Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv)
    {
        if (_p is null || _q is null || _k is null || _v is null) throw new InvalidOperationException("attention backward before forward");
        AttentionGradients.Backward(_g, _q, _k, _v, _p, dOut, dq, dk, dv, _scale, _causal, _queryStart);
    }
}
