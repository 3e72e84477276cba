using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Multi-head attention with grouped keys/values over whole sequences: q [B,T,H,dk], k [B,S,KV,dk],
/// v [B,S,KV,dv], output [B,T,H,dv]; query head h reads KV head h/(H/KV). With causal, query t sees keys
/// 0..queryStart+t; an optional key mask [B,S] hides keys where it is false. The forward keeps the
/// softmax probabilities [B,H,T,S] (hidden keys hold 0) and references to q, k and v; a query that sees
/// no key outputs 0 and passes no gradient.
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
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dk = g.KeyDim, dv = g.ValueDim;
        if (_p is null || _p.Count != (long)B * H * T * S) _p = Tensor.Empty(DType.F32, B, H, T, S);
        var p = _p;
        _q = q; _k = k; _v = v; _g = g;
        bool[]? mask = keyMask.IsEmpty ? null : keyMask.ToArray();
        float scale = _scale;
        OpChecks.For(B * H, (long)T * S * (dk + dv), bh =>
        {
            int b = bh / H, h = bh % H, kvh = h / g.Group;
            var Q = q.Span; var K = k.Span; var V = v.Span; var O = output.Span; var P = p.Span;
            for (int t = 0; t < T; t++)
            {
                var row = P.Slice(((b * H + h) * T + t) * S, S);
                var o = O.Slice(g.OutputIndex(b, t, h), dv);
                int last = LastKey(t, S);
                var qt = Q.Slice(g.QueryIndex(b, t, h), dk);
                float max = float.NegativeInfinity;
                for (int s = 0; s <= last; s++)
                {
                    if (mask is not null && !mask[b * S + s]) { row[s] = float.NegativeInfinity; continue; }
                    row[s] = TensorPrimitives.Dot(qt, K.Slice(g.KeyIndex(b, s, kvh), dk)) * scale;
                    max = MathF.Max(max, row[s]);
                }
                row.Slice(last + 1).Clear();
                o.Clear();
                if (float.IsNegativeInfinity(max)) { row.Clear(); continue; }
                float sum = 0;
                for (int s = 0; s <= last; s++)
                {
                    float e = MathF.Exp(row[s] - max);
                    row[s] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int s = 0; s <= last; s++)
                {
                    float w = row[s] *= inv;
                    if (w != 0f) TensorPrimitives.MultiplyAdd(V.Slice(g.ValueIndex(b, s, kvh), dv), w, o, o);
                }
            }
        });
    }

    /// <summary>
    /// dq += ∂L/∂q, dk += ∂L/∂k, dv += ∂L/∂v given dOut = ∂L/∂output. The keys and values of a KV head
    /// collect the contributions of every query head in its group.
    /// </summary>
    public void Backward(Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv)
    {
        if (_p is null || _q is null || _k is null || _v is null) throw new InvalidOperationException("attention backward before forward");
        var g = _g;
        var q = _q; var k = _k; var v = _v; var p = _p;
        OpChecks.Require(dOut.Count == (long)g.Batch * g.Queries * g.Heads * g.ValueDim
            && (dq is null || dq.Count == q.Count) && (dk is null || dk.Count == k.Count) && (dv is null || dv.Count == v.Count),
            $"attention backward: dOut {dOut.Shape}, dq {dq?.Shape}, dk {dk?.Shape}, dv {dv?.Shape}");
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dkd = g.KeyDim, dvd = g.ValueDim, KV = g.KvHeads;
        float scale = _scale;
        bool needScores = dq is not null || dk is not null;
        OpChecks.For(B * KV, (long)g.Group * T * S * (dkd + dvd) * 2, bk =>
        {
            int b = bk / KV, kvh = bk % KV;
            var Q = q.Span; var K = k.Span; var V = v.Span; var P = p.Span; var dO = dOut.Span;
            var dQ = dq is null ? default : dq.Span;
            var dK = dk is null ? default : dk.Span;
            var dV = dv is null ? default : dv.Span;
            var dP = new float[S];
            for (int h = kvh * g.Group; h < (kvh + 1) * g.Group; h++)
            for (int t = 0; t < T; t++)
            {
                var row = P.Slice(((b * H + h) * T + t) * S, S);
                var go = dO.Slice(g.OutputIndex(b, t, h), dvd);
                int last = LastKey(t, S);
                float dot = 0;
                if (needScores)
                    for (int s = 0; s <= last; s++)
                    {
                        if (row[s] == 0f) { dP[s] = 0f; continue; }
                        dP[s] = TensorPrimitives.Dot(go, V.Slice(g.ValueIndex(b, s, kvh), dvd));
                        dot += row[s] * dP[s];
                    }
                int qi = g.QueryIndex(b, t, h);
                for (int s = 0; s <= last; s++)
                {
                    float w = row[s];
                    if (w == 0f) continue;
                    if (dv is not null)
                    {
                        var dvs = dV.Slice(g.ValueIndex(b, s, kvh), dvd);
                        TensorPrimitives.MultiplyAdd(go, w, dvs, dvs);
                    }
                    if (!needScores) continue;
                    float ds = w * (dP[s] - dot) * scale;
                    int ki = g.KeyIndex(b, s, kvh);
                    if (dq is not null)
                    {
                        var dqt = dQ.Slice(qi, dkd);
                        TensorPrimitives.MultiplyAdd(K.Slice(ki, dkd), ds, dqt, dqt);
                    }
                    if (dk is not null)
                    {
                        var dks = dK.Slice(ki, dkd);
                        TensorPrimitives.MultiplyAdd(Q.Slice(qi, dkd), ds, dks, dks);
                    }
                }
            }
        });
    }

    private int LastKey(int t, int keys) => _causal ? Math.Min(keys - 1, _queryStart + t) : keys - 1;
}
