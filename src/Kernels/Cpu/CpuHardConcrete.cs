using System.Numerics;
using System.Numerics.Tensors;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The hard-concrete sample and its gradient over every mask at once, in SIMD lanes of doubles and on every
/// core: the same formulas, in the same double precision and operation order, as the scalar
/// <see cref="HardConcreteMath"/> (the oracle). Only the logarithms and exponentials come from the vectorized
/// <see cref="TensorPrimitives"/> instead of the C library, which can round a last double bit differently;
/// after the cast to f32 that is a one-ulp difference in an occasional mask (measured by the tests and
/// bench/results/cpu-mask-step.md). Deterministic: every entry is computed alone, whatever the thread count.
/// </summary>
public static unsafe class CpuHardConcrete
{
    /// <summary>Masks per parallel chunk: enough work to amortize a dispatch, few enough to share out.</summary>
    private const int ChunkEntries = 16384;

    /// <summary>Masks per block of the double scratch on the stack (3 arrays of this many doubles: 24 KiB).</summary>
    private const int Block = 1024;

    private const double Left = HardConcreteMath.Left, Right = HardConcreteMath.Right, Beta = HardConcreteMath.Beta;

    /// <summary>z = clamp(l + (r−l)·σ((log u − log(1−u) + log α)/β), 0, 1).</summary>
    public static void Forward(ReadOnlySpan<float> logAlpha, ReadOnlySpan<float> u, Span<float> z)
    {
        if (u.Length != logAlpha.Length || z.Length != logAlpha.Length)
            throw new Runtime.ShapeException($"hard concrete: {logAlpha.Length} log alphas, {u.Length} samples, {z.Length} outputs");
        fixed (float* a = logAlpha, pu = u, pz = z)
            Run(a, pu, null, pz, logAlpha.Length);
    }

    /// <summary>dLogAlpha += dz·(r−l)·s(1−s)/β where the stretched value lies inside (0,1); elsewhere dLogAlpha is left as it is.</summary>
    public static void Backward(ReadOnlySpan<float> logAlpha, ReadOnlySpan<float> u, ReadOnlySpan<float> dz, Span<float> dLogAlpha)
    {
        if (u.Length != logAlpha.Length || dz.Length != logAlpha.Length || dLogAlpha.Length != logAlpha.Length)
            throw new Runtime.ShapeException($"hard concrete backward: {logAlpha.Length} log alphas, {u.Length} samples, {dz.Length} gradients");
        fixed (float* a = logAlpha, pu = u, pdz = dz, pg = dLogAlpha)
            Run(a, pu, pdz, pg, logAlpha.Length);
    }

    /// <summary>Forward when <paramref name="dz"/> is null (writes z into <paramref name="output"/>), else backward (accumulates into it).</summary>
    private static void Run(float* logAlpha, float* u, float* dz, float* output, int n)
    {
        if (n == 0) return;
        int chunks = (n + ChunkEntries - 1) / ChunkEntries;
        if (chunks == 1)
        {
            Range(logAlpha, u, dz, output, 0, n);
            return;
        }
        var job = Job.ForThisThread;
        job.LogAlpha = logAlpha; job.U = u; job.Dz = dz; job.Output = output; job.Count = n;
        CpuParallel.Run(job, chunks, Environment.ProcessorCount);
    }

    private static void Range(float* logAlpha, float* u, float* dz, float* output, int start, int end)
    {
        Span<double> stretched = stackalloc double[Block];
        Span<double> s = stackalloc double[Block];
        Span<double> t = stackalloc double[Block];
        for (int b = start; b < end; b += Block)
        {
            int m = Math.Min(Block, end - b);
            Sample(new ReadOnlySpan<float>(logAlpha + b, m), new ReadOnlySpan<float>(u + b, m), stretched[..m], s[..m], t[..m]);
            if (dz is null) Clamp(stretched[..m], new Span<float>(output + b, m));
            else Accumulate(new ReadOnlySpan<float>(dz + b, m), stretched[..m], s[..m], new Span<float>(output + b, m));
        }
    }

    /// <summary>The stretched value l + (r−l)·s and s itself, exactly as <see cref="HardConcreteMath.Stretched"/> orders them.</summary>
    private static void Sample(ReadOnlySpan<float> logAlpha, ReadOnlySpan<float> u, Span<double> stretched, Span<double> s, Span<double> t)
    {
        int n = u.Length;
        // stretched ← u, t ← 1 − u (both in double), then their logarithms.
        Widen(u, stretched);
        TensorPrimitives.Subtract(1.0, stretched, t);
        TensorPrimitives.Log(stretched, stretched);
        TensorPrimitives.Log(t, t);
        // x = (log u − log(1−u) + log α)/β into s; t ← exp(−|x|).
        Widen(logAlpha, s);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                var x = (new Vector<double>(stretched[i..]) - new Vector<double>(t[i..]) + new Vector<double>(s[i..])) / new Vector<double>(Beta);
                x.CopyTo(s[i..]);
                (-Vector.Abs(x)).CopyTo(t[i..]);
            }
        for (; i < n; i++)
        {
            double x = (stretched[i] - t[i] + s[i]) / Beta;
            s[i] = x;
            t[i] = -Math.Abs(x);
        }
        TensorPrimitives.Exp(t, t);
        // σ(x) = 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) below: both read e = exp(−|x|).
        i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                var x = new Vector<double>(s[i..]);
                var e = new Vector<double>(t[i..]);
                var onePlus = Vector<double>.One + e;
                var sig = Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<double>.Zero), Vector<double>.One / onePlus, e / onePlus);
                sig.CopyTo(s[i..]);
                (new Vector<double>(Left) + new Vector<double>(Right - Left) * sig).CopyTo(stretched[i..]);
            }
        for (; i < n; i++)
        {
            double x = s[i], e = t[i];
            double sig = x >= 0 ? 1 / (1 + e) : e / (1 + e);
            s[i] = sig;
            stretched[i] = Left + (Right - Left) * sig;
        }
    }

    private static void Clamp(ReadOnlySpan<double> stretched, Span<float> z)
    {
        for (int i = 0; i < z.Length; i++) z[i] = (float)Math.Clamp(stretched[i], 0.0, 1.0);
    }

    private static void Accumulate(ReadOnlySpan<float> dz, ReadOnlySpan<double> stretched, ReadOnlySpan<double> s, Span<float> grad)
    {
        int n = dz.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            int w = Vector<float>.Count, h = Vector<double>.Count;
            for (; i <= n - w; i += w)
            {
                Vector.Widen(new Vector<float>(dz[i..]), out var d0, out var d1);
                var t0 = Term(d0, new Vector<double>(s[i..]));
                var t1 = Term(d1, new Vector<double>(s[(i + h)..]));
                var inside = Vector.Narrow(Inside(new Vector<double>(stretched[i..])), Inside(new Vector<double>(stretched[(i + h)..])));
                var g = new Vector<float>(grad[i..]);
                Vector.ConditionalSelect(inside, g + Vector.Narrow(t0, t1), g).CopyTo(grad[i..]);
            }
        }
        for (; i < n; i++)
            if (stretched[i] > 0 && stretched[i] < 1) grad[i] += (float)(dz[i] * (Right - Left) * s[i] * (1 - s[i]) / Beta);
    }

    /// <summary>dz·(r−l)·s·(1−s)/β, left to right as the scalar code multiplies.</summary>
    private static Vector<double> Term(Vector<double> dz, Vector<double> s) =>
        dz * new Vector<double>(Right - Left) * s * (Vector<double>.One - s) / new Vector<double>(Beta);

    /// <summary>All ones in the 64-bit lanes where 0 &lt; stretched &lt; 1, narrowed to 32-bit lanes by the caller.</summary>
    private static Vector<long> Inside(Vector<double> stretched) =>
        Vector.BitwiseAnd(Vector.GreaterThan(stretched, Vector<double>.Zero), Vector.LessThan(stretched, Vector<double>.One));

    private static void Widen(ReadOnlySpan<float> source, Span<double> destination)
    {
        int n = source.Length, i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector.Widen(new Vector<float>(source[i..]), out var lo, out var hi);
                lo.CopyTo(destination[i..]);
                hi.CopyTo(destination[(i + Vector<double>.Count)..]);
            }
        for (; i < n; i++) destination[i] = source[i];
    }

    private sealed class Job : ParallelJob
    {
        [ThreadStatic] private static Job? t_job;
        public static Job ForThisThread => t_job ??= new();

        public float* LogAlpha, U, Dz, Output;
        public int Count;

        public override void Run(int chunk)
        {
            int start = chunk * ChunkEntries;
            Range(LogAlpha, U, Dz, Output, start, Math.Min(Count, start + ChunkEntries));
        }
    }
}
