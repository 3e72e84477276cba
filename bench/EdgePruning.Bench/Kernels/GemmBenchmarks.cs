using BenchmarkDotNet.Attributes;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>Linear layer y = x·wᵀ on the CPU backend at model-sized shapes (all cores and one thread).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private static readonly CpuKernels SingleThread = new(1);
    private Tensor _x = null!, _w = null!, _y = null!;

    /// <summary>m×n×k: square, GPT-2 MLP up-projection over 64 tokens, decode-time matrix-vector products.</summary>
    [Params("768x768x768", "64x3072x768", "1x768x288", "1x50257x768")]
    public string Shape { get; set; } = "768x768x768";

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k) = GemmShape.Parse(Shape);
        _x = GemmShape.Random(m, k);
        _w = GemmShape.Random(n, k);
        _y = Tensor.Empty(DType.F32, m, n);
    }

    [Benchmark]
    public void LinearAllCores() => CpuKernels.Instance.Linear(_x, _w, null, _y);

    [Benchmark]
    public void LinearOneThread() => SingleThread.Linear(_x, _w, null, _y);
}

/// <summary>Small products where the scalar reference still finishes: the baseline for the speed-up of each engine.</summary>
[MemoryDiagnoser]
public class SmallGemmBenchmarks
{
    private Tensor _a = null!, _b = null!, _bt = null!, _c = null!;

    [Params("64x64x64", "1x288x288", "33x65x127")]
    public string Shape { get; set; } = "64x64x64";

    [GlobalSetup]
    public void Setup()
    {
        var (m, n, k) = GemmShape.Parse(Shape);
        _a = GemmShape.Random(m, k);
        _b = GemmShape.Random(k, n);
        _bt = GemmShape.Random(n, k);
        _c = Tensor.Empty(DType.F32, m, n);
    }

    [Benchmark(Baseline = true)]
    public void ReferenceLinear() => ReferenceKernels.Instance.Linear(_a, _bt, null, _c);

    [Benchmark]
    public void CpuLinear() => CpuKernels.Instance.Linear(_a, _bt, null, _c);

    [Benchmark]
    public void CpuGemmNN() => CpuKernels.Instance.Gemm(_a, false, _b, false, _c);
}

internal static class GemmShape
{
    public static (int M, int N, int K) Parse(string shape)
    {
        var p = shape.Split('x');
        return (int.Parse(p[0]), int.Parse(p[1]), int.Parse(p[2]));
    }

    public static Tensor Random(int rows, int cols)
    {
        var rng = new Random(rows * 31 + cols);
        var t = Tensor.Empty(DType.F32, rows, cols);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
