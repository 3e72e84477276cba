using System.Runtime.InteropServices;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// The batched products on the CPU are the per-batch Linear and Gemm calls, bit for bit: a caller that switches
/// to them (the trainer's host path) gets the same numbers as before.
/// </summary>
public class CpuBatchedGemmTests
{
    /// <summary>(batch, m, n, k): one batch, per-head projections of a small model, odd sizes, a k that spans several k-blocks.</summary>
    public static TheoryData<int, int, int, int> Shapes => new()
    {
        { 1, 64, 16, 64 }, { 12, 64, 16, 64 }, { 3, 5, 11, 7 }, { 2, 33, 17, 300 }, { 4, 1, 65, 33 }, { 2, 40, 9, 1000 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BatchedLinear_IsBitIdenticalToALinearPerBatch(int batch, int m, int n, int k)
    {
        var rng = new Random(batch * 7919 + m * 1009 + n * 31 + k);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (bool withBias in new[] { true, false })
        {
            var cpu = Cpu(threads);
            var x = Random(rng, 1f, batch, m, k);
            var w = Random(rng, 0.5f, batch, n, k);
            var bias = withBias ? Random(rng, 1f, batch, n) : null;
            var expected = Poisoned(batch, m, n);
            for (int i = 0; i < batch; i++) cpu.Linear(x.Row(i), w.Row(i), bias?.Row(i), expected.Row(i));
            var actual = Poisoned(batch, m, n);
            cpu.BatchedLinear(x, w, bias, actual);
            AssertBitIdentical(expected, actual, $"batched linear {batch}×{m}x{n}x{k} bias={withBias} threads={threads}");
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BatchedGemm_IsBitIdenticalToAGemmPerBatch_InEveryTransposeCombination(int batch, int m, int n, int k)
    {
        var rng = new Random(batch * 104729 + m * 1013 + n * 37 + k);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        foreach (var (alpha, beta) in new[] { (1f, 0f), (1f, 1f), (0.75f, -1.5f) })
        {
            var cpu = Cpu(threads);
            var a = transA ? Random(rng, 1f, batch, k, m) : Random(rng, 1f, batch, m, k);
            var b = transB ? Random(rng, 1f, batch, n, k) : Random(rng, 1f, batch, k, n);
            var c0 = beta == 0f ? Poisoned(batch, m, n) : Random(rng, 1f, batch, m, n);
            var expected = c0.Clone();
            for (int i = 0; i < batch; i++) cpu.Gemm(a.Row(i), transA, b.Row(i), transB, expected.Row(i), alpha, beta);
            var actual = c0.Clone();
            cpu.BatchedGemm(a, transA, b, transB, actual, alpha, beta);
            AssertBitIdentical(expected, actual,
                $"batched gemm {batch}×{m}x{n}x{k} transA={transA} transB={transB} α={alpha} β={beta} threads={threads}");
        }
    }

    [Fact]
    public void BatchedLinear_AddsEachBatchItsOwnBias()
    {
        // x = 0: y[b] is bias[b] broadcast over the rows, so a bias read from the wrong batch shows up exactly.
        var x = Tensor.Zeros(3, 2, 4);
        var w = Random(new Random(5), 1f, 3, 5, 4);
        var bias = Tensor.FromData(Enumerable.Range(0, 15).Select(i => (float)i).ToArray(), 3, 5);
        var y = Poisoned(3, 2, 5);
        CpuKernels.Instance.BatchedLinear(x, w, bias, y);
        var expected = Enumerable.Range(0, 3).SelectMany(b => Enumerable.Repeat(0, 2).SelectMany(_ => Enumerable.Range(5 * b, 5)))
            .Select(v => (float)v).ToArray();
        Assert.Equal(expected, y.ToArray());
    }

    [Fact]
    public void ZeroBatches_WriteNothing()
    {
        var y = Poisoned(0, 4, 3);
        CpuKernels.Instance.BatchedLinear(Tensor.Zeros(0, 4, 2), Tensor.Zeros(0, 3, 2), Tensor.Zeros(0, 3), y);
        CpuKernels.Instance.BatchedGemm(Tensor.Zeros(0, 4, 2), false, Tensor.Zeros(0, 2, 3), false, y, beta: 1f);
        Assert.Equal(0, y.Count);
    }

    public static TheoryData<string, int[], int[], int[]?, int[]> WrongLinearShapes => new()
    {
        { "w has another batch count", [3, 4, 8], [2, 5, 8], [3, 5], [3, 4, 5] },
        { "w has another k", [3, 4, 8], [3, 5, 7], null, [3, 4, 5] },
        { "y has another n", [3, 4, 8], [3, 5, 8], null, [3, 4, 6] },
        { "bias has one row for every batch missing", [3, 4, 8], [3, 5, 8], [5], [3, 4, 5] },
        { "bias has another batch count", [3, 4, 8], [3, 5, 8], [2, 5], [3, 4, 5] },
        { "x is a matrix", [12, 8], [3, 5, 8], null, [3, 4, 5] },
    };

    [Theory]
    [MemberData(nameof(WrongLinearShapes))]
    public void BatchedLinear_WrongShapes_ThrowOneLineShapeException(string why, int[] x, int[] w, int[]? bias, int[] y)
    {
        var error = Assert.Throws<ShapeException>(() => CpuKernels.Instance.BatchedLinear(
            Tensor.Zeros(x), Tensor.Zeros(w), bias is null ? null : Tensor.Zeros(bias), Tensor.Zeros(y)));
        Assert.True(error.Message.StartsWith("shape mismatch in batched linear: ", StringComparison.Ordinal) && !error.Message.Contains('\n'),
            $"{why}: {error.Message}");
    }

    public static TheoryData<string, int[], bool, int[], bool, int[]> WrongGemmShapes => new()
    {
        { "b has another batch count", [3, 4, 8], false, [2, 8, 5], false, [3, 4, 5] },
        { "c has another batch count", [3, 4, 8], false, [3, 8, 5], false, [2, 4, 5] },
        { "inner sizes differ", [3, 4, 8], false, [3, 7, 5], false, [3, 4, 5] },
        { "transposing b makes the inner sizes differ", [3, 4, 8], false, [3, 8, 5], true, [3, 4, 8] },
        { "c has another m", [3, 8, 4], true, [3, 8, 5], false, [3, 8, 5] },
        { "a is a matrix", [12, 8], false, [3, 8, 5], false, [3, 4, 5] },
    };

    [Theory]
    [MemberData(nameof(WrongGemmShapes))]
    public void BatchedGemm_WrongShapes_ThrowOneLineShapeException(string why, int[] a, bool transA, int[] b, bool transB, int[] c)
    {
        var error = Assert.Throws<ShapeException>(() => CpuKernels.Instance.BatchedGemm(
            Tensor.Zeros(a), transA, Tensor.Zeros(b), transB, Tensor.Zeros(c)));
        Assert.True(error.Message.StartsWith("shape mismatch in batched gemm: ", StringComparison.Ordinal) && !error.Message.Contains('\n'),
            $"{why}: {error.Message}");
    }

    private static void AssertBitIdentical(Tensor expected, Tensor actual, string what)
    {
        var e = MemoryMarshal.Cast<float, int>(expected.Span);
        var a = MemoryMarshal.Cast<float, int>(actual.Span);
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i] == a[i], $"{what}: element {i} is {BitConverter.Int32BitsToSingle(a[i])} but the per-batch call gave {BitConverter.Int32BitsToSingle(e[i])}");
    }
}
