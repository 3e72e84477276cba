using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class CpuNormAndSoftmaxTests
{
    /// <summary>f32 two-pass statistics against the double reference: ‖Δ‖/‖ref‖.</summary>
    private const double NormTolerance = 1e-5;
    private const double SoftmaxTolerance = 1e-5;

    private static readonly ReferenceKernels Ref = ReferenceKernels.Instance;

    public static TheoryData<int, int> RowShapes => new() { { 1, 1 }, { 1, 15 }, { 3, 17 }, { 2, 64 }, { 5, 1000 }, { 64, 768 }, { 7, 4099 } };

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void LayerNorm_WithAndWithoutBeta_MatchesReference(int rows, int d)
    {
        var rng = new Random(rows * 31 + d);
        // An offset far larger than the spread: E[x²] − mean² would lose the variance to cancellation.
        var x = Random(rng, 1f, 40f, rows, d);
        var gamma = Random(rng, 1f, 1f, d);
        var beta = Random(rng, 1f, d);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (var bt in new[] { beta, null })
        {
            var expected = Poisoned(rows, d);
            var actual = Poisoned(rows, d);
            Ref.LayerNorm(x, gamma, bt, expected, 1e-5f);
            Cpu(threads).LayerNorm(x, gamma, bt, actual, 1e-5f);
            AssertClose(expected, actual, NormTolerance, $"layernorm [{rows},{d}] beta={bt is not null} threads={threads}");
        }
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void RmsNorm_MatchesReference(int rows, int d)
    {
        var rng = new Random(rows * 37 + d);
        var x = Random(rng, 2f, rows, d);
        var gamma = Random(rng, 1f, 1f, d);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        {
            var expected = Poisoned(rows, d);
            var actual = Poisoned(rows, d);
            Ref.RmsNorm(x, gamma, expected, 1e-6f);
            Cpu(threads).RmsNorm(x, gamma, actual, 1e-6f);
            AssertClose(expected, actual, NormTolerance, $"rmsnorm [{rows},{d}] threads={threads}");
        }
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void Softmax_MatchesReference(int rows, int d)
    {
        var rng = new Random(rows * 41 + d);
        var x = Random(rng, 8f, rows, d);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        {
            var expected = x.Clone();
            var actual = x.Clone();
            Ref.Softmax(expected);
            Cpu(threads).Softmax(actual);
            AssertClose(expected, actual, SoftmaxTolerance, $"softmax [{rows},{d}] threads={threads}");
        }
    }

    [Fact]
    public void Softmax_MaskedEntriesAndFullyMaskedRows_GiveZeros()
    {
        var rng = new Random(3);
        var x = Random(rng, 4f, 4, 37);
        var s = x.Span;
        for (int i = 0; i < 37; i++) s[37 + i] = float.NegativeInfinity; // row 1 fully masked
        for (int i = 0; i < 37; i += 3) s[2 * 37 + i] = float.NegativeInfinity; // row 2 partly masked
        s[3 * 37 + 5] = 1e30f; // row 3 dominated by one huge entry
        var expected = x.Clone();
        var actual = x.Clone();
        Ref.Softmax(expected);
        CpuKernels.Instance.Softmax(actual);
        AssertClose(expected, actual, SoftmaxTolerance, "softmax with −∞ entries");
        for (int i = 0; i < 37; i++) Assert.Equal(0f, actual.Span[37 + i]);
        for (int i = 0; i < 37; i += 3) Assert.Equal(0f, actual.Span[2 * 37 + i]);
    }
}
