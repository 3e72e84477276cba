using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class CpuRopeAndEmbeddingTests
{
    /// <summary>f32 rotation by angles tabulated from double: ‖Δ‖/‖ref‖, positions up to 4096.</summary>
    private const double RopeTolerance = 1e-5;

    private static readonly ReferenceKernels Ref = ReferenceKernels.Instance;

    [Theory]
    [InlineData(1, 1, 1, 2, 0, 10000f)]
    [InlineData(2, 3, 4, 8, 5, 10000f)]
    [InlineData(1, 5, 3, 34, 17, 10000f)]
    [InlineData(1, 7, 2, 64, 4090, 10000f)]
    [InlineData(2, 33, 4, 128, 100, 500000f)]
    [InlineData(1, 1, 6, 48, 4095, 1000000f)]
    public void Rope_MatchesReference(int batch, int tokens, int heads, int headDim, int startPos, float theta)
    {
        var rng = new Random(batch * 7 + tokens * 131 + headDim + startPos);
        var x = Random(rng, 2f, batch, tokens, heads, headDim);
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        {
            var expected = x.Clone();
            var actual = x.Clone();
            Ref.Rope(expected, startPos, theta);
            Cpu(threads).Rope(actual, startPos, theta);
            AssertClose(expected, actual, RopeTolerance, $"rope [{batch},{tokens},{heads},{headDim}] from {startPos} threads={threads}");
        }
    }

    [Fact]
    public void Rope_PositionsGrowingPastTheTable_StillMatchReference()
    {
        var rng = new Random(77);
        // One position at a time, as in decoding, then a jump far past the cached range.
        foreach (int pos in new[] { 0, 1, 2, 1023, 1024, 3000, 4096 })
        {
            var x = Random(rng, 1f, 1, 1, 2, 12);
            var expected = x.Clone();
            Ref.Rope(expected, pos, 10000f);
            CpuKernels.Instance.Rope(x, pos, 10000f);
            AssertClose(expected, x, RopeTolerance, $"rope at {pos}");
        }
    }

    [Fact]
    public void Rope_OddHeadDim_ThrowsShapeException()
        => Assert.Throws<ShapeException>(() => CpuKernels.Instance.Rope(Tensor.Zeros(1, 2, 3, 5), 0, 10000f));

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(50, 17, 9)]
    [InlineData(1000, 768, 64)]
    public void Embedding_CopiesTheRowsOfTheIds(int vocab, int d, int count)
    {
        var rng = new Random(vocab + d);
        var table = Random(rng, 1f, vocab, d);
        var ids = Enumerable.Range(0, count).Select(_ => rng.Next(vocab)).ToArray();
        var expected = Poisoned(count, d);
        var actual = Poisoned(count, d);
        Ref.Embedding(table, ids, expected);
        CpuKernels.Instance.Embedding(table, ids, actual);
        Assert.Equal(expected.Span.ToArray(), actual.Span.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    [InlineData(int.MaxValue)]
    public void Embedding_IdOutsideVocabulary_ThrowsShapeException(int badId)
    {
        var table = Random(new Random(1), 1f, 10, 4);
        Assert.Throws<ShapeException>(() => CpuKernels.Instance.Embedding(table, [1, badId], Poisoned(2, 4)));
    }
}
