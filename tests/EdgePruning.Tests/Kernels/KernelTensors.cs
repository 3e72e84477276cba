using EdgePruning.Kernels.Cpu;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>Inputs, poisoned outputs and tolerant comparisons for the kernel parity tests.</summary>
internal static class KernelTensors
{
    /// <summary>The backends under test: all cores, and the calling thread alone.</summary>
    public static TheoryData<int> ThreadCounts => new() { Environment.ProcessorCount, 1 };

    public static CpuKernels Cpu(int threads) => threads == Environment.ProcessorCount ? CpuKernels.Instance : new CpuKernels(threads);

    /// <summary>Uniform in [offset − scale, offset + scale), never exactly zero.</summary>
    public static Tensor Random(Random rng, float scale, params int[] dims) => Random(rng, scale, 0f, dims);

    public static Tensor Random(Random rng, float scale, float offset, params int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            float v;
            do v = (float)(rng.NextDouble() * 2 - 1); while (v == 0f);
            s[i] = offset + scale * v;
        }
        return t;
    }

    /// <summary>A tensor full of NaN, so that any element a kernel fails to write shows up.</summary>
    public static Tensor Poisoned(params int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        t.Span.Fill(float.NaN);
        return t;
    }

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂ (the absolute norm when expected is zero); ∞ for any NaN.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (float.IsNaN(actual[i]) != float.IsNaN(expected[i])) return double.PositiveInfinity;
            if (float.IsNaN(expected[i])) continue;
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double err = RelativeError(actual.Span, expected.Span);
        Assert.True(err <= tolerance, $"{what}: relative error {err:E2} > {tolerance:E0}; {WorstElement(expected.Span, actual.Span)}");
    }

    /// <summary>Every element within atol·max(1, |expected|).</summary>
    public static void AssertElementsClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            bool ok = Math.Abs(a - e) <= atol * Math.Max(1, Math.Abs(e));
            Assert.True(ok, $"{what}: element {i} is {a} but the reference is {e}");
        }
    }

    private static string WorstElement(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        int worst = 0;
        double worstDiff = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = float.IsNaN(actual[i]) ? double.PositiveInfinity : Math.Abs((double)actual[i] - expected[i]);
            if (d > worstDiff) { worstDiff = d; worst = i; }
        }
        return expected.Length == 0 ? "empty" : $"worst element {worst}: {actual[worst]} vs {expected[worst]}";
    }
}
