using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class CpuGemmTests
{
    /// <summary>f32 accumulation against the double-accumulating reference, k up to ~2000: ‖Δ‖/‖ref‖.</summary>
    private const double GemmTolerance = 1e-5;

    private static readonly ReferenceKernels Ref = ReferenceKernels.Instance;

    /// <summary>(m, n, k): size 1, odd sizes around the 8×32 and 4×4 tiles, the 16-lane vector and the k-slices.</summary>
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 3, 17 }, { 3, 1, 5 }, { 1, 65, 33 }, { 4, 33, 64 }, { 5, 7, 3 },
        { 17, 33, 65 }, { 33, 17, 127 }, { 8, 32, 16 }, { 65, 127, 33 }, { 127, 65, 300 }, { 9, 40, 1000 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_AllTransposeCombos_MatchReference(int m, int n, int k)
    {
        var rng = new Random(m * 1000003 + n * 1009 + k);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        {
            var a = transA ? Random(rng, 1f, k, m) : Random(rng, 1f, m, k);
            var b = transB ? Random(rng, 1f, n, k) : Random(rng, 1f, k, n);
            var expected = Poisoned(m, n);
            var actual = Poisoned(m, n);
            Ref.Gemm(a, transA, b, transB, expected);
            Cpu(threads).Gemm(a, transA, b, transB, actual);
            AssertClose(expected, actual, GemmTolerance, $"gemm {m}x{n}x{k} transA={transA} transB={transB} threads={threads}");
        }
    }

    [Theory]
    [InlineData(1, 5, 7)]
    [InlineData(13, 70, 300)]
    [InlineData(4, 9, 2100)]
    [InlineData(40, 33, 600)]
    public void Gemm_AlphaAndBeta_ScaleProductAndAccumulateIntoC(int m, int n, int k)
    {
        var rng = new Random(m + 31 * n + 977 * k);
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        {
            var a = transA ? Random(rng, 1f, k, m) : Random(rng, 1f, m, k);
            var b = transB ? Random(rng, 1f, n, k) : Random(rng, 1f, k, n);
            var c0 = Random(rng, 1f, m, n);
            var expected = c0.Clone();
            var actual = c0.Clone();
            Ref.Gemm(a, transA, b, transB, expected, alpha: 0.75f, beta: -1.5f);
            CpuKernels.Instance.Gemm(a, transA, b, transB, actual, alpha: 0.75f, beta: -1.5f);
            AssertClose(expected, actual, GemmTolerance, $"gemm {m}x{n}x{k} transA={transA} transB={transB} alpha/beta");
        }
    }

    /// <summary>
    /// Matrix-vector products whose weight rows start at every float offset from a 64-byte boundary (as in a
    /// mapped llama2.c file), rows too short for a whole vector included: each matches the reference, and the
    /// sums are the same bit for bit at every offset (the lanes follow the element index, not the address).
    /// </summary>
    [Theory]
    [InlineData(288)]
    [InlineData(47)]
    [InlineData(33)]
    [InlineData(31)]
    [InlineData(16)]
    public void Linear_OneRow_MatchesReferenceAtEveryWeightAlignment(int k)
    {
        const int n = 9;
        var rng = new Random(k);
        var x = Random(rng, 1f, 1, k);
        var weights = Random(rng, 0.5f, n, k);
        float[]? first = null;
        for (int offset = 0; offset < 16; offset++)
        {
            var backing = Tensor.Zeros(n * k + 16);
            weights.Span.CopyTo(backing.Span[offset..]);
            var w = Tensor.Wrap(backing.Storage, offset * sizeof(float), DType.F32, n, k);
            var expected = Poisoned(1, n);
            var actual = Poisoned(1, n);
            Ref.Linear(x, w, null, expected);
            Cpu(1).Linear(x, w, null, actual);
            AssertClose(expected, actual, GemmTolerance, $"linear 1x{n}x{k}, weights {offset} floats past the array start");
            first ??= actual.Span.ToArray();
            Assert.Equal(first, actual.Span.ToArray());
        }
    }

    [Fact]
    public void Gemm_BetaZero_IgnoresNaNAlreadyInC()
    {
        var rng = new Random(5);
        var a = Random(rng, 1f, 19, 40);
        var b = Random(rng, 1f, 40, 70);
        var expected = Poisoned(19, 70);
        var actual = Poisoned(19, 70);
        Ref.Gemm(a, false, b, false, expected, alpha: 2f);
        CpuKernels.Instance.Gemm(a, false, b, false, actual, alpha: 2f);
        AssertClose(expected, actual, GemmTolerance, "gemm over NaN-filled C");
    }

    [Theory]
    [InlineData(1, 288, 768)]
    [InlineData(2, 65, 33)]
    [InlineData(3, 130, 17)]
    [InlineData(4, 1, 1)]
    [InlineData(7, 129, 257)]
    [InlineData(64, 300, 96)]
    [InlineData(1, 2049, 64)]
    public void Linear_WithAndWithoutBias_MatchesReference(int m, int n, int k)
    {
        var rng = new Random(m * 7 + n * 13 + k);
        var x = Random(rng, 1f, m, k);
        var w = Random(rng, 0.5f, n, k);
        var bias = Random(rng, 1f, n);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (var bv in new[] { bias, null })
        {
            var expected = Poisoned(m, n);
            var actual = Poisoned(m, n);
            Ref.Linear(x, w, bv, expected);
            Cpu(threads).Linear(x, w, bv, actual);
            AssertClose(expected, actual, GemmTolerance, $"linear {m}x{n}x{k} bias={bv is not null} threads={threads}");
        }
    }

    [Fact]
    public void Linear_RankThreeInput_ReadsItAsRowsByColumns()
    {
        var rng = new Random(11);
        var x = Random(rng, 1f, 2, 3, 20);
        var w = Random(rng, 1f, 9, 20);
        var expected = Poisoned(2, 3, 9);
        var actual = Poisoned(2, 3, 9);
        Ref.Linear(x, w, null, expected);
        CpuKernels.Instance.Linear(x, w, null, actual);
        AssertClose(expected, actual, GemmTolerance, "linear on [2,3,20]");
    }

    [Fact]
    public void Gemm_MismatchedShapes_ThrowShapeException()
    {
        var a = Tensor.Zeros(3, 4);
        var b = Tensor.Zeros(5, 6);
        Assert.Throws<ShapeException>(() => CpuKernels.Instance.Gemm(a, false, b, false, Tensor.Zeros(3, 6)));
        Assert.Throws<ShapeException>(() => CpuKernels.Instance.Linear(a, Tensor.Zeros(6, 4), Tensor.Zeros(5), Tensor.Zeros(3, 6)));
    }

    [Fact]
    public void Linear_CalledFromManyThreadsAtOnce_EachResultMatchesReference()
    {
        var rng = new Random(21);
        var x = Random(rng, 1f, 33, 200);
        var w = Random(rng, 1f, 150, 200);
        var expected = Poisoned(33, 150);
        Ref.Linear(x, w, null, expected);
        var results = Enumerable.Range(0, 6).Select(_ => Poisoned(33, 150)).ToArray();
        Parallel.For(0, results.Length, i =>
        {
            for (int rep = 0; rep < 5; rep++) CpuKernels.Instance.Linear(x, w, null, results[i]);
        });
        foreach (var r in results) AssertClose(expected, r, GemmTolerance, "linear under concurrent calls");
    }
}
