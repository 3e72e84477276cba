using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host attention over whole sequences with its softmax probabilities kept, and the backward from them.
/// q [B,T,H,dk], k [B,S,KV,dk], v [B,S,KV,dv], output [B,T,H,dv], probabilities [B,H,T,S] (hidden keys
/// hold 0); query head h reads KV head h/(H/KV); with causal, query t sees keys 0..queryStart+t; a key
/// mask [B,S] hides keys where it is false; a query that sees no key outputs 0 and passes no gradient.
/// </summary>
public static unsafe class AttentionGradients
{
    /// <summary>Fills <paramref name="p"/> and, when given, <paramref name="output"/>.</summary>
    public static void Forward(AttentionGeometry g, Tensor q, Tensor k, Tensor v, Tensor? output, Tensor p, float scale, bool causal,
        int queryStart, ReadOnlySpan<bool> keyMask)
    {
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dk = g.KeyDim, dv = g.ValueDim;
        GradientChecks.Require(p.Count == (long)B * H * T * S, $"attention probabilities {p.Shape} for [{B},{H},{T},{S}]");
        bool[]? mask = keyMask.IsEmpty ? null : keyMask.ToArray();
        CpuParallelFor.For(B * H, (long)T * S * (dk + dv), bh =>
        {
            int b = bh / H, h = bh % H, kvh = h / g.Group;
            float* Q = CpuKernels.F32(q), K = CpuKernels.F32(k), V = CpuKernels.F32(v), P = CpuKernels.F32(p);
            float* O = output is null ? null : CpuKernels.F32(output);
            // A narrow head scores 16 keys at a time from its keys transposed, with the same sums.
            float* keys = null, raw = null;
            int padded = NarrowKeys.Padded(S);
            if (NarrowKeys.Fit(dk))
            {
                keys = ThreadScratch.Keys.Get((long)dk * padded);
                raw = ThreadScratch.Work.Get(padded);
                NarrowKeys.Transpose(K, g, b, kvh, S, keys, padded);
            }
            for (int t = 0; t < T; t++)
            {
                float* row = P + (long)((b * H + h) * T + t) * S;
                float* o = O == null ? null : O + g.OutputIndex(b, t, h);
                int last = LastKey(causal, queryStart, t, S);
                float* qt = Q + g.QueryIndex(b, t, h);
                float max = float.NegativeInfinity;
                if (keys != null) NarrowKeys.Scores(qt, keys, padded, dk, last, raw);
                for (int s = 0; s <= last; s++)
                {
                    if (mask is not null && !mask[b * S + s]) { row[s] = float.NegativeInfinity; continue; }
                    row[s] = (keys != null ? raw[s] : HeadRows.Dot(qt, K + g.KeyIndex(b, s, kvh), dk)) * scale;
                    max = MathF.Max(max, row[s]);
                }
                new Span<float>(row + last + 1, S - last - 1).Clear();
                if (o != null) new Span<float>(o, dv).Clear();
                if (float.IsNegativeInfinity(max)) { new Span<float>(row, S).Clear(); continue; }
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
                    if (o != null && w != 0f) HeadRows.Axpy(w, V + g.ValueIndex(b, s, kvh), o, dv);
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
        GradientChecks.Require(dOut.Count == (long)g.Batch * g.Queries * g.Heads * g.ValueDim
            && (dq is null || dq.Count == q.Count) && (dk is null || dk.Count == k.Count) && (dv is null || dv.Count == v.Count),
            $"attention backward: dOut {dOut.Shape}, dq {dq?.Shape}, dk {dk?.Shape}, dv {dv?.Shape}");
        int B = g.Batch, T = g.Queries, H = g.Heads, S = g.MaxKeys, dkd = g.KeyDim, dvd = g.ValueDim, KV = g.KvHeads;
        bool needScores = dq is not null || dk is not null;
        CpuParallelFor.For(B * KV, (long)g.Group * T * S * (dkd + dvd) * 2, bk =>
        {
            int b = bk / KV, kvh = bk % KV;
            float* Q = CpuKernels.F32(q), K = CpuKernels.F32(k), V = CpuKernels.F32(v), P = CpuKernels.F32(p), dO = CpuKernels.F32(dOut);
            float* dQ = dq is null ? null : CpuKernels.F32(dq);
            float* dK = dk is null ? null : CpuKernels.F32(dk);
            float* dV = dv is null ? null : CpuKernels.F32(dv);
            float* dP = stackalloc float[S <= MaxStackKeys ? S : 0];
            float[]? heapScores = S <= MaxStackKeys ? null : new float[S];
            fixed (float* heap = heapScores)
            {
                if (heap != null) dP = heap;
                for (int h = kvh * g.Group; h < (kvh + 1) * g.Group; h++)
                for (int t = 0; t < T; t++)
                {
                    float* row = P + (long)((b * H + h) * T + t) * S;
                    float* go = dO + g.OutputIndex(b, t, h);
                    int last = LastKey(causal, queryStart, t, S);
                    float dot = 0;
                    if (needScores)
                        for (int s = 0; s <= last; s++)
                        {
                            if (row[s] == 0f) { dP[s] = 0f; continue; }
                            dP[s] = HeadRows.Dot(go, V + g.ValueIndex(b, s, kvh), dvd);
                            dot += row[s] * dP[s];
                        }
                    int qi = g.QueryIndex(b, t, h);
                    for (int s = 0; s <= last; s++)
                    {
                        float w = row[s];
                        if (w == 0f) continue;
                        if (dV != null) HeadRows.Axpy(w, go, dV + g.ValueIndex(b, s, kvh), dvd);
                        if (!needScores) continue;
                        float ds = w * (dP[s] - dot) * scale;
                        int ki = g.KeyIndex(b, s, kvh);
                        if (dQ != null) HeadRows.Axpy(ds, K + ki, dQ + qi, dkd);
                        if (dK != null) HeadRows.Axpy(ds, Q + qi, dK + ki, dkd);
                    }
                }
            }
        });
    }

    /// <summary>Keys whose score gradients a backward chunk keeps on its stack.</summary>
    private const int MaxStackKeys = 4096;

    private static int LastKey(bool causal, int queryStart, int t, int keys) => causal ? Math.Min(keys - 1, queryStart + t) : keys - 1;
}
