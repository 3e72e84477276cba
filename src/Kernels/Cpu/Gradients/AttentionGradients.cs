using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host attention over whole sequences with its softmax probabilities kept, and the backward from them.
/// q [B,T,H,dk], k [B,S,KV,dk], v [B,S,KV,dv], output [B,T,H,dv], probabilities [B,H,T,S] (hidden keys
/// hold 0); query head h reads KV head h/(H/KV); with causal, query t sees keys 0..queryStart+t; a key
/// mask [B,S] hides keys where it is false; a query that sees no key outputs 0 and passes no gradient.
/// </summary>
public static class AttentionGradients
{
    /// <summary>Fills <paramref name="p"/> and, when given, <paramref name="output"/>.</summary>
    public static void Forward(AttentionGeometry g, Tensor q, Tensor k, Tensor v, Tensor? output, Tensor p, float scale, bool causal,
        int queryStart, ReadOnlySpan<bool> keyMask)
    {
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dk = g.KeyDim, dv = g.ValueDim;
        HostLoops.Require(p.Count == (long)B * H * T * S, $"attention probabilities {p.Shape} for [{B},{H},{T},{S}]");
        bool[]? mask = keyMask.IsEmpty ? null : keyMask.ToArray();
        HostLoops.For(B * H, (long)T * S * (dk + dv), bh =>
        {
            int b = bh / H, h = bh % H, kvh = h / g.Group;
            var Q = q.Span; var K = k.Span; var V = v.Span; var P = p.Span;
            var O = output is null ? default : output.Span;
            for (int t = 0; t < T; t++)
            {
                var row = P.Slice(((b * H + h) * T + t) * S, S);
                var o = output is null ? default : O.Slice(g.OutputIndex(b, t, h), dv);
                int last = LastKey(causal, queryStart, t, S);
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
                    if (output is not null && w != 0f) TensorPrimitives.MultiplyAdd(V.Slice(g.ValueIndex(b, s, kvh), dv), w, o, o);
                }
            }
        });
    }

    /// <summary>
    /// dq += ∂L/∂q, dk += ∂L/∂k, dv += ∂L/∂v given dOut = ∂L/∂output and the forward's probabilities.
    /// </summary>
    public static void Backward(AttentionGeometry g, Tensor q, Tensor k, Tensor v, Tensor p, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv,
        float scale, bool causal, int queryStart)
    {
        HostLoops.Require(dOut.Count == (long)g.Batch * g.Queries * g.Heads * g.ValueDim
            && (dq is null || dq.Count == q.Count) && (dk is null || dk.Count == k.Count) && (dv is null || dv.Count == v.Count),
            $"attention backward: dOut {dOut.Shape}, dq {dq?.Shape}, dk {dk?.Shape}, dv {dv?.Shape}");
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dkd = g.KeyDim, dvd = g.ValueDim, KV = g.KvHeads;
        bool needScores = dq is not null || dk is not null;
        HostLoops.For(B * KV, (long)g.Group * T * S * (dkd + dvd) * 2, bk =>
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
                int last = LastKey(causal, queryStart, t, S);
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

    private static int LastKey(bool causal, int queryStart, int t, int keys) => causal ? Math.Min(keys - 1, queryStart + t) : keys - 1;
}
