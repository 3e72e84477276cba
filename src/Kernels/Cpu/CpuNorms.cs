using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// LayerNorm and RMSNorm per row, and the backward of one row from its saved statistics. Sums run in f32
/// over 32 to 64 lanes (2 to 4 vector accumulators), so each lane adds only d/32 terms or fewer; LayerNorm
/// takes the variance in a second pass around the mean rather than E[x²] − mean², which cancels. y may be
/// the same memory as x.
/// </summary>
internal static unsafe class CpuNorms
{
    [ThreadStatic] private static Job? t_job;

    public static void LayerNorm(float* x, float* gamma, float* beta, float* y, int rows, int d, float eps, int maxThreads)
        => Run(x, gamma, beta, y, rows, d, eps, rms: false, maxThreads);

    public static void RmsNorm(float* x, float* gamma, float* y, int rows, int d, float eps, int maxThreads)
        => Run(x, gamma, null, y, rows, d, eps, rms: true, maxThreads);

    private static void Run(float* x, float* gamma, float* beta, float* y, int rows, int d, float eps, bool rms, int maxThreads)
    {
        var job = t_job ??= new Job();
        job.X = x; job.Gamma = gamma; job.Beta = beta; job.Y = y;
        job.Rows = rows; job.D = d; job.Eps = eps; job.Rms = rms;
        job.RowsPerChunk = CpuRows.RowsPerChunk(d);
        CpuParallel.Run(job, CpuRows.Chunks(rows, job.RowsPerChunk), maxThreads);
    }

    private sealed class Job : ParallelJob
    {
        public float* X, Gamma, Beta, Y;
        public int Rows, D, RowsPerChunk;
        public float Eps;
        public bool Rms;

        public override void Run(int chunk)
        {
            int end = Math.Min(Rows, (chunk + 1) * RowsPerChunk);
            for (int r = chunk * RowsPerChunk; r < end; r++)
            {
                long o = (long)r * D;
                if (Rms) RmsRow(X + o, Gamma, Y + o, D, Eps);
                else LayerNormRow(X + o, Gamma, Beta, Y + o, D, Eps);
            }
        }
    }

    /// <summary>One row of LayerNorm; returns the row's mean and 1/sqrt(var + eps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (float Mean, float Rstd) LayerNormRow(float* x, float* g, float* b, float* y, int d, float eps)
    {
        float mean = Sum(x, d) / d;
        var vm = Vector512.Create(mean);
        Vector512<float> s0 = default, s1 = default;
        int i = 0;
        for (; i + 32 <= d; i += 32)
        {
            var t0 = Vector512.Load(x + i) - vm;
            var t1 = Vector512.Load(x + i + 16) - vm;
            s0 = Vector512.FusedMultiplyAdd(t0, t0, s0);
            s1 = Vector512.FusedMultiplyAdd(t1, t1, s1);
        }
        for (; i + 16 <= d; i += 16)
        {
            var t0 = Vector512.Load(x + i) - vm;
            s0 = Vector512.FusedMultiplyAdd(t0, t0, s0);
        }
        float ss = Vector512.Sum(s0 + s1);
        for (; i < d; i++) { float t = x[i] - mean; ss += t * t; }
        float inv = (float)(1.0 / Math.Sqrt((double)ss / d + eps));
        var vinv = Vector512.Create(inv);
        i = 0;
        if (b != null)
        {
            for (; i + 16 <= d; i += 16)
                Vector512.Store(Vector512.FusedMultiplyAdd((Vector512.Load(x + i) - vm) * vinv, Vector512.Load(g + i), Vector512.Load(b + i)), y + i);
            for (; i < d; i++) y[i] = (x[i] - mean) * inv * g[i] + b[i];
        }
        else
        {
            for (; i + 16 <= d; i += 16)
                Vector512.Store((Vector512.Load(x + i) - vm) * vinv * Vector512.Load(g + i), y + i);
            for (; i < d; i++) y[i] = (x[i] - mean) * inv * g[i];
        }
        return (mean, inv);
    }

    /// <summary>One row of RMSNorm; returns the row's 1/sqrt(mean(x²) + eps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float RmsRow(float* x, float* g, float* y, int d, float eps)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i + 64 <= d; i += 64)
        {
            var t0 = Vector512.Load(x + i);
            var t1 = Vector512.Load(x + i + 16);
            var t2 = Vector512.Load(x + i + 32);
            var t3 = Vector512.Load(x + i + 48);
            s0 = Vector512.FusedMultiplyAdd(t0, t0, s0);
            s1 = Vector512.FusedMultiplyAdd(t1, t1, s1);
            s2 = Vector512.FusedMultiplyAdd(t2, t2, s2);
            s3 = Vector512.FusedMultiplyAdd(t3, t3, s3);
        }
        for (; i + 16 <= d; i += 16)
        {
            var t0 = Vector512.Load(x + i);
            s0 = Vector512.FusedMultiplyAdd(t0, t0, s0);
        }
        float ss = Vector512.Sum((s0 + s1) + (s2 + s3));
        for (; i < d; i++) ss += x[i] * x[i];
        float inv = (float)(1.0 / Math.Sqrt((double)ss / d + eps));
        var vinv = Vector512.Create(inv);
        i = 0;
        for (; i + 16 <= d; i += 16) Vector512.Store(Vector512.Load(x + i) * vinv * Vector512.Load(g + i), y + i);
        for (; i < d; i++) y[i] = x[i] * inv * g[i];
        return inv;
    }

    /// <summary>
    /// The backward of one row from the forward's statistics: dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) with
    /// g = dy·γ and x̂ = (x − mean)·rstd. RMSNorm (<paramref name="layerNorm"/> false) passes mean 0 and has no
    /// mean(g) term. dx is overwritten.
    /// </summary>
    internal static void BackwardRow(float* x, float* dy, float* g, float mean, float rstd, float* dx, int d, bool layerNorm)
    {
        var vm = Vector512.Create(mean);
        Vector512<float> sg0 = default, sg1 = default, sx0 = default, sx1 = default;
        int i = 0;
        for (; i + 32 <= d; i += 32)
        {
            var g0 = Vector512.Load(dy + i) * Vector512.Load(g + i);
            var g1 = Vector512.Load(dy + i + 16) * Vector512.Load(g + i + 16);
            sg0 += g0;
            sg1 += g1;
            sx0 = Vector512.FusedMultiplyAdd(g0, Vector512.Load(x + i) - vm, sx0);
            sx1 = Vector512.FusedMultiplyAdd(g1, Vector512.Load(x + i + 16) - vm, sx1);
        }
        for (; i + 16 <= d; i += 16)
        {
            var g0 = Vector512.Load(dy + i) * Vector512.Load(g + i);
            sg0 += g0;
            sx0 = Vector512.FusedMultiplyAdd(g0, Vector512.Load(x + i) - vm, sx0);
        }
        float sumG = Vector512.Sum(sg0 + sg1), sumGx = Vector512.Sum(sx0 + sx1);
        for (; i < d; i++)
        {
            float gi = dy[i] * g[i];
            sumG += gi;
            sumGx += gi * (x[i] - mean);
        }
        // dx = rstd·g − rstd·mean(g) − (x − mean)·rstd³·mean(g·(x − mean)).
        float shift = layerNorm ? rstd * (sumG / d) : 0f;
        float slope = rstd * rstd * rstd * (sumGx / d);
        var vr = Vector512.Create(rstd);
        var vshift = Vector512.Create(shift);
        var vslope = Vector512.Create(slope);
        i = 0;
        for (; i + 16 <= d; i += 16)
        {
            var gi = Vector512.Load(dy + i) * Vector512.Load(g + i);
            var centered = Vector512.Load(x + i) - vm;
            Vector512.Store(Vector512.FusedMultiplyAdd(-centered, vslope, Vector512.FusedMultiplyAdd(gi, vr, -vshift)), dx + i);
        }
        for (; i < d; i++) dx[i] = dy[i] * g[i] * rstd - shift - (x[i] - mean) * slope;
    }

    /// <summary>Σ x[i] over four vector accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Sum(float* x, int n)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int i = 0;
        for (; i + 64 <= n; i += 64)
        {
            s0 += Vector512.Load(x + i);
            s1 += Vector512.Load(x + i + 16);
            s2 += Vector512.Load(x + i + 32);
            s3 += Vector512.Load(x + i + 48);
        }
        for (; i + 16 <= n; i += 16) s0 += Vector512.Load(x + i);
        float s = Vector512.Sum((s0 + s1) + (s2 + s3));
        for (; i < n; i++) s += x[i];
        return s;
    }
}
