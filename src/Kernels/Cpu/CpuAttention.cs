using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Grouped-query attention, one query row (batch, head, token) at a time: scores against the visible
/// keys, stable softmax, weighted sum of values. Rows are ordered (batch, KV head, token, head in
/// group) so that neighbouring rows in a chunk read the same keys and values. A row that sees no key
/// (all masked, or none in range) is zeros, as in the reference. A head narrower than one vector (8 in a
/// 260K-parameter model) has no whole vector along a key, so its scores are computed across 16 keys at a time.
/// </summary>
internal static unsafe class CpuAttention
{
    [ThreadStatic] private static Job? t_job;

    public static void Run(float* q, float* k, float* v, float* output, AttentionGeometry g, int keyCount, int queryStart,
        bool causal, float scale, bool* keyMask, int maxThreads)
    {
        int rows = g.Batch * g.Heads * g.Queries;
        if (rows == 0) return;
        var job = t_job ??= new Job();
        job.Q = q; job.K = k; job.V = v; job.O = output; job.G = g;
        job.KeyCount = keyCount; job.QueryStart = queryStart; job.Causal = causal; job.Scale = scale; job.KeyMask = keyMask;
        // Each row costs about keyCount·(dk + dv) multiply-adds.
        long perRow = Math.Max(1L, (long)keyCount * (g.KeyDim + g.ValueDim));
        job.RowsPerChunk = (int)Math.Clamp(32 * 1024 / perRow, 1, Math.Max(1, rows / (4 * maxThreads)));
        job.Rows = rows;
        CpuParallel.Run(job, (rows + job.RowsPerChunk - 1) / job.RowsPerChunk, maxThreads);
    }

    private sealed class Job : ParallelJob
    {
        public float* Q, K, V, O;
        public bool* KeyMask;
        public AttentionGeometry G;
        public int KeyCount, QueryStart, Rows, RowsPerChunk;
        public bool Causal;
        public float Scale;

        public override void Run(int chunk)
        {
            // Heads narrower than a vector score 16 keys at a time from the keys transposed per (batch, KV head).
            bool narrow = NarrowKeys.Fit(G.KeyDim);
            int padded = NarrowKeys.Padded(KeyCount);
            float* scores = ThreadScratch.Work.Get(Math.Max(1, padded));
            float* keys = narrow ? ThreadScratch.Keys.Get(Math.Max(1, (long)G.KeyDim * padded)) : null;
            int keysOf = -1;
            int end = Math.Min(Rows, (chunk + 1) * RowsPerChunk);
            int group = G.Group;
            for (int row = chunk * RowsPerChunk; row < end; row++)
            {
                // row = ((b·KV + kvh)·T + t)·group + hg
                int hg = row % group, rest = row / group;
                int t = rest % G.Queries; rest /= G.Queries;
                int kvh = rest % G.KvHeads, b = rest / G.KvHeads;
                if (narrow && keysOf != rest)
                {
                    NarrowKeys.Transpose(K, G, b, kvh, KeyCount, keys, padded);
                    keysOf = rest;
                }
                QueryRow(b, t, kvh * group + hg, kvh, scores, keys, padded);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void QueryRow(int b, int t, int h, int kvh, float* scores, float* keys, int padded)
        {
            var g = G;
            float* q = Q + g.QueryIndex(b, t, h);
            float* o = O + g.OutputIndex(b, t, h);
            int last = Causal ? Math.Min(KeyCount - 1, QueryStart + t) : KeyCount - 1;
            bool* mask = KeyMask == null ? null : KeyMask + (long)b * g.MaxKeys;
            float max = float.NegativeInfinity;
            if (keys != null) NarrowKeys.Scores(q, keys, padded, g.KeyDim, last, scores);
            for (int s = 0; s <= last; s++)
            {
                if (mask != null && !mask[s]) { scores[s] = float.NegativeInfinity; continue; }
                float score = (keys != null ? scores[s] : HeadRows.Dot(q, K + g.KeyIndex(b, s, kvh), g.KeyDim)) * Scale;
                scores[s] = score;
                if (score > max) max = score;
            }
            new Span<float>(o, g.ValueDim).Clear();
            if (float.IsNegativeInfinity(max)) return;
            float sum = CpuSoftmax.ExpInPlace(scores, last + 1, max);
            for (int s = 0; s <= last; s++)
            {
                float p = scores[s];
                if (p != 0f) HeadRows.Axpy(p, V + g.ValueIndex(b, s, kvh), o, g.ValueDim);
            }
            CpuSoftmax.Scale(o, g.ValueDim, 1f / sum);
        }
    }
}
