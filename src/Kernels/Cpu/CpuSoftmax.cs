using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Numerically stable softmax in place, per row: subtract the row maximum, exponentiate, scale by the
/// reciprocal sum. A row whose entries are all −∞ (fully masked) becomes zeros, as in the reference.
/// </summary>
internal static unsafe class CpuSoftmax
{
    [ThreadStatic] private static Job? t_job;

    public static void Rows(float* x, int rows, int cols, int maxThreads)
    {
        var job = t_job ??= new Job();
        job.X = x; job.Rows = rows; job.Cols = cols;
        job.RowsPerChunk = CpuRows.RowsPerChunk(cols);
        CpuParallel.Run(job, CpuRows.Chunks(rows, job.RowsPerChunk), maxThreads);
    }

    private sealed class Job : ParallelJob
    {
        public float* X;
        public int Rows, Cols, RowsPerChunk;

        public override void Run(int chunk)
        {
            int end = Math.Min(Rows, (chunk + 1) * RowsPerChunk);
            for (int r = chunk * RowsPerChunk; r < end; r++) Row(X + (long)r * Cols, Cols);
        }
    }

    /// <summary>Softmax of one row of <paramref name="n"/> values in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(float* x, int n)
    {
        float max = Max(x, n);
        if (float.IsNegativeInfinity(max) || n == 0)
        {
            new Span<float>(x, n).Clear();
            return;
        }
        float sum = ExpInPlace(x, n, max);
        Scale(x, n, 1f / sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(float* x, int n)
    {
        var vmax = Vector512.Create(float.NegativeInfinity);
        int i = 0;
        for (; i + 16 <= n; i += 16) vmax = Vector512.Max(vmax, Vector512.Load(x + i));
        float max = float.NegativeInfinity;
        for (int l = 0; l < 16; l++) max = Math.Max(max, vmax.GetElement(l));
        for (; i < n; i++) max = Math.Max(max, x[i]);
        return max;
    }

    /// <summary>x[i] = exp(x[i] − max); returns the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpInPlace(float* x, int n, float max)
    {
        var vm = Vector512.Create(max);
        Vector512<float> s0 = default, s1 = default;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var e0 = Vector512.Exp(Vector512.Load(x + i) - vm);
            var e1 = Vector512.Exp(Vector512.Load(x + i + 16) - vm);
            Vector512.Store(e0, x + i);
            Vector512.Store(e1, x + i + 16);
            s0 += e0;
            s1 += e1;
        }
        for (; i + 16 <= n; i += 16)
        {
            var e0 = Vector512.Exp(Vector512.Load(x + i) - vm);
            Vector512.Store(e0, x + i);
            s0 += e0;
        }
        float sum = Vector512.Sum(s0 + s1);
        for (; i < n; i++) { float e = MathF.Exp(x[i] - max); x[i] = e; sum += e; }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(float* x, int n, float factor)
    {
        var vf = Vector512.Create(factor);
        int i = 0;
        for (; i + 16 <= n; i += 16) Vector512.Store(Vector512.Load(x + i) * vf, x + i);
        for (; i < n; i++) x[i] *= factor;
    }
}
