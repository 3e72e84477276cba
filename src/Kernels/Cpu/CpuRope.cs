using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Rotary position embedding in place. Angles come from a table per (headDim, theta), computed in
/// double and stored as f32 rows per position: cos duplicated over each pair, and sin with the sign
/// of its pair slot, so one pair rotation is y = x·cos + swap(x)·sin' on whole vectors. A table is
/// immutable once published; a longer one replaces it when a position beyond its end is asked for.
/// </summary>
internal static unsafe class CpuRope
{
    private static readonly Vector512<int> SwapPairs = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    private static readonly object TablesLock = new();
    private static volatile RopeTable[] _tables = [];

    [ThreadStatic] private static Job? t_job;

    public static void Apply(float* x, int batch, int tokens, int heads, int headDim, int startPos, float theta, int maxThreads)
    {
        if ((long)batch * tokens * heads == 0) return;
        var table = TableFor(headDim, theta, startPos + tokens);
        var job = t_job ??= new Job();
        job.X = x; job.Tokens = tokens; job.Heads = heads; job.HeadDim = headDim; job.StartPos = startPos;
        job.Table = table;
        job.Rows = batch * tokens;
        job.RowsPerChunk = CpuRows.RowsPerChunk(heads * headDim);
        CpuParallel.Run(job, CpuRows.Chunks(job.Rows, job.RowsPerChunk), maxThreads);
        job.Table = null;
    }

    private sealed class Job : ParallelJob
    {
        public float* X;
        public int Tokens, Heads, HeadDim, StartPos, Rows, RowsPerChunk;
        public RopeTable? Table;

        public override void Run(int chunk)
        {
            int end = Math.Min(Rows, (chunk + 1) * RowsPerChunk);
            var table = Table!;
            fixed (float* cosBase = table.Cos, sinBase = table.Sin)
            {
                for (int row = chunk * RowsPerChunk; row < end; row++)
                {
                    int pos = StartPos + row % Tokens;
                    float* cos = cosBase + (long)pos * HeadDim, sin = sinBase + (long)pos * HeadDim;
                    float* x = X + (long)row * Heads * HeadDim;
                    for (int h = 0; h < Heads; h++, x += HeadDim) Rotate(x, cos, sin, HeadDim);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rotate(float* x, float* cos, float* sin, int n)
    {
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var v = Vector512.Load(x + i);
            var swapped = Vector512.Shuffle(v, SwapPairs);
            Vector512.Store(Vector512.FusedMultiplyAdd(swapped, Vector512.Load(sin + i), v * Vector512.Load(cos + i)), x + i);
        }
        for (; i < n; i += 2)
        {
            float x0 = x[i], x1 = x[i + 1], c = cos[i], s = sin[i + 1];
            x[i] = x0 * c - x1 * s;
            x[i + 1] = x0 * s + x1 * c;
        }
    }

    private static RopeTable TableFor(int headDim, float theta, int positions)
    {
        foreach (var t in _tables)
            if (t.HeadDim == headDim && t.Theta == theta && t.Positions >= positions) return t;
        lock (TablesLock)
        {
            var tables = _tables;
            int old = -1;
            for (int i = 0; i < tables.Length; i++)
            {
                if (tables[i].HeadDim != headDim || tables[i].Theta != theta) continue;
                if (tables[i].Positions >= positions) return tables[i];
                old = i;
            }
            int size = Math.Max(positions, old >= 0 ? tables[old].Positions * 2 : 1024);
            var table = new RopeTable(headDim, theta, size);
            var next = old >= 0 ? (RopeTable[])tables.Clone() : [.. tables, table];
            if (old >= 0) next[old] = table;
            _tables = next;
            return table;
        }
    }

    private sealed class RopeTable
    {
        public readonly int HeadDim, Positions;
        public readonly float Theta;
        /// <summary>[pos, headDim]: cos of the pair's angle in both slots of the pair.</summary>
        public readonly float[] Cos;
        /// <summary>[pos, headDim]: −sin in the first slot of a pair, +sin in the second.</summary>
        public readonly float[] Sin;

        public RopeTable(int headDim, float theta, int positions)
        {
            HeadDim = headDim; Theta = theta; Positions = positions;
            Cos = GC.AllocateUninitializedArray<float>(positions * headDim, pinned: true);
            Sin = GC.AllocateUninitializedArray<float>(positions * headDim, pinned: true);
            for (int i = 0; i < headDim; i += 2)
            {
                double freq = Math.Pow(theta, -(double)i / headDim);
                for (int pos = 0; pos < positions; pos++)
                {
                    var (s, c) = Math.SinCos(pos * freq);
                    int o = pos * headDim + i;
                    Cos[o] = Cos[o + 1] = (float)c;
                    Sin[o] = (float)-s;
                    Sin[o + 1] = (float)s;
                }
            }
        }
    }
}
