using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Diagnostics;
using System.Globalization;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// `bench gemm`: a quick GFLOP/s table of the CPU products (median of timed runs after warm-up), on one
/// thread and on all cores, beside the machine's theoretical f32 FMA peak. Much shorter than a
/// BenchmarkDotNet run; use <see cref="GemmBenchmarks"/> for allocation and variance figures.
/// </summary>
public static class GemmThroughput
{
    private sealed record Case(string Name, int M, int N, int K, bool TransA, bool TransB, bool Linear);

    private static readonly Case[] Cases =
    [
        new("square NN", 768, 768, 768, false, false, false),
        new("square Linear (A·Bᵀ)", 768, 768, 768, false, true, true),
        new("square TN", 768, 768, 768, true, false, false),
        new("square TT", 768, 768, 768, true, true, false),
        new("GPT-2 MLP up, 64 tokens (Linear)", 64, 3072, 768, false, true, true),
        new("GPT-2 MLP down, 64 tokens (Linear)", 64, 768, 3072, false, true, true),
        new("GPT-2 MLP up, 64 tokens (NN)", 64, 3072, 768, false, false, false),
        new("matvec 288→768 (Linear, m=1)", 1, 768, 288, false, true, true),
        new("matvec 768→3072 (Linear, m=1)", 1, 3072, 768, false, true, true),
        new("matvec 768→50257 logits (Linear, m=1)", 1, 50257, 768, false, true, true),
        new("4 rows 768→3072 (Linear, m=4)", 4, 3072, 768, false, true, true),
    ];

    public static int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 21;
        int cores = Environment.ProcessorCount;
        double nominalGHz = ClockGHz();
        double ghz = EffectiveClockGHz();
        // The FMA width differs by core (Zen 4 splits a 512-bit FMA over two 256-bit pipes: 32 flop/cycle; Zen 5 has
        // full-width pipes: 64), so the peak is measured: one thread issuing independent 512-bit FMAs.
        double peakCore = FmaThroughputGFlops();
        double flopsPerCycle = peakCore / ghz;
        Console.WriteLine($"# CPU GEMM throughput: {CpuModel()}, {cores} cores");
        Console.WriteLine($"clock: {nominalGHz:F3} GHz nominal (/proc/cpuinfo), {ghz:F2} GHz measured (chain of dependent FMAs, 4 cycles each, over thread CPU time)");
        Console.WriteLine($"f32 peak, measured ({IndependentChains} independent 512-bit FMA chains on one thread): {peakCore:F1} GFLOP/s per core " +
            $"({flopsPerCycle:F1} flop/cycle at the measured clock), {peakCore * cores:F1} GFLOP/s all cores");
        Console.WriteLine($"read bandwidth {ReadBandwidthGBs():F1} GB/s (one thread, best sum over 256 MiB); load average before {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"timings: median of {runs} samples (each ≥ 1 ms of calls) after ≥ 0.2 s warm-up");
        Console.WriteLine();
        Console.WriteLine("| shape | m×n×k | 1 thread, on-CPU GFLOP/s | % core peak | 1 thread, wall GFLOP/s | all threads, wall GFLOP/s | % machine peak | speed-up (wall) | all threads ms | weights GB/s | reference ms |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        var single = new CpuKernels(1);
        foreach (var c in Cases)
        {
            var rng = new Random(1);
            var a = Fill(rng, c.TransA ? [c.K, c.M] : [c.M, c.K]);
            var b = Fill(rng, c.TransB ? [c.N, c.K] : [c.K, c.N]);
            var y = Tensor.Empty(DType.F32, c.M, c.N);
            double flops = 2.0 * c.M * c.N * c.K;
            var t1 = CallTiming.Measure(() => Call(single, c, a, b, y), runs);
            var tn = CallTiming.Measure(() => Call(CpuKernels.Instance, c, a, b, y), runs);
            // The scalar reference only where it finishes in reasonable time.
            string refMs = flops <= 2e8 ? $"{CallTiming.Measure(() => Call(ReferenceKernels.Instance, c, a, b, y), 3).Wall * 1e3:F2}" : "—";
            double gCpu = flops / t1.OnCpu / 1e9, g1 = flops / t1.Wall / 1e9, gn = flops / tn.Wall / 1e9;
            double bytesB = 4.0 * c.N * c.K;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Name} | {c.M}×{c.N}×{c.K} | {gCpu:F1} | {100 * gCpu / peakCore:F0}% | {g1:F1} | {gn:F1} | {100 * gn / (peakCore * cores):F0}% | {t1.Wall / tn.Wall:F2}× | {tn.Wall * 1e3:F3} | {bytesB / tn.Wall / 1e9:F1} | {refMs} |"));
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static void Call(IKernels k, Case c, Tensor a, Tensor b, Tensor y)
    {
        if (c.Linear) k.Linear(a, b, null, y);
        else k.Gemm(a, c.TransA, b, c.TransB, y);
    }

    private static Tensor Fill(Random rng, int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double EffectiveClockGHz()
    {
        const int n = 50_000_000;
        double best = double.MaxValue;
        float sink = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            long t0 = CallTiming.ThreadCpuNanoseconds();
            sink += FmaChain(n);
            best = Math.Min(best, (CallTiming.ThreadCpuNanoseconds() - t0) * 1e-9);
        }
        GC.KeepAlive(sink.ToString(CultureInfo.InvariantCulture));
        return 4.0 * n / best / 1e9;
    }

    private const int IndependentChains = 12;

    /// <summary>f32 GFLOP/s of one thread issuing <see cref="IndependentChains"/> independent 512-bit FMA chains (best of 5, thread CPU time).</summary>
    private static double FmaThroughputGFlops()
    {
        const int n = 4_000_000;
        double best = double.MaxValue;
        float sink = FmaChains(1000);
        for (int rep = 0; rep < 5; rep++)
        {
            long t0 = CallTiming.ThreadCpuNanoseconds();
            sink += FmaChains(n);
            best = Math.Min(best, (CallTiming.ThreadCpuNanoseconds() - t0) * 1e-9);
        }
        GC.KeepAlive(sink.ToString(CultureInfo.InvariantCulture));
        return (double)IndependentChains * Vector512<float>.Count * 2 * n / best / 1e9;
    }

    /// <summary>n rounds of <see cref="IndependentChains"/> independent FMAs in registers: enough chains to cover the latency of two pipes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float FmaChains(int n)
    {
        var mul = Vector512.Create(0.999999f);
        var add = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < n; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, mul, add); a1 = Vector512.FusedMultiplyAdd(a1, mul, add);
            a2 = Vector512.FusedMultiplyAdd(a2, mul, add); a3 = Vector512.FusedMultiplyAdd(a3, mul, add);
            a4 = Vector512.FusedMultiplyAdd(a4, mul, add); a5 = Vector512.FusedMultiplyAdd(a5, mul, add);
            a6 = Vector512.FusedMultiplyAdd(a6, mul, add); a7 = Vector512.FusedMultiplyAdd(a7, mul, add);
            a8 = Vector512.FusedMultiplyAdd(a8, mul, add); a9 = Vector512.FusedMultiplyAdd(a9, mul, add);
            a10 = Vector512.FusedMultiplyAdd(a10, mul, add); a11 = Vector512.FusedMultiplyAdd(a11, mul, add);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    /// <summary>n dependent FMAs, kept in a register (no call inside the loop).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float FmaChain(int n)
    {
        var acc = Vector256.Create(1f);
        var mul = Vector256.Create(0.999999f);
        var add = Vector256.Create(1e-7f);
        for (int i = 0; i < n; i++) acc = Vector256.FusedMultiplyAdd(acc, mul, add);
        return acc.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ReadBandwidthGBs()
    {
        var data = new float[64 * 1024 * 1024];
        Array.Fill(data, 1f);
        double best = double.MaxValue;
        float sink = 0;
        for (int rep = 0; rep < 5; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            sink += System.Numerics.Tensors.TensorPrimitives.Sum<float>(data);
            best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        GC.KeepAlive(sink.ToString(CultureInfo.InvariantCulture));
        return 4.0 * data.Length / best / 1e9;
    }

    private static double ClockGHz()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                    return double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture) / 1000;
        }
        catch (IOException) { }
        return double.NaN;
    }

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal)) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        return "unknown CPU";
    }
}
