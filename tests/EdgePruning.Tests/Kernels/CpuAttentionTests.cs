using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class CpuAttentionTests
{
    /// <summary>f32 scores and weighted sums against double: ‖Δ‖/‖ref‖.</summary>
    private const double AttentionTolerance = 1e-5;

    private static readonly ReferenceKernels Ref = ReferenceKernels.Instance;

    /// <summary>(B, T, H, KV, Smax, keyCount, queryStart, dk, dv).</summary>
    public static TheoryData<int, int, int, int, int, int, int, int, int> Cases => new()
    {
        { 1, 1, 1, 1, 1, 1, 0, 1, 1 },          // everything size 1
        { 2, 3, 4, 2, 9, 7, 4, 5, 7 },          // GQA, odd head sizes, keys past the queries
        { 1, 1, 6, 6, 40, 23, 22, 64, 64 },     // decoding one token against a cache
        { 2, 17, 8, 2, 20, 17, 0, 33, 17 },     // prefill, queries = keys
        { 1, 33, 12, 4, 64, 64, 31, 64, 48 },   // enough rows to split over threads
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Attention_CausalAndNot_WithAndWithoutMask_MatchReference(int B, int T, int H, int kv, int smax, int keyCount,
        int queryStart, int dk, int dv)
    {
        var rng = new Random(B * 1000 + T * 100 + H * 10 + dk + dv);
        var q = Random(rng, 1f, B, T, H, dk);
        var k = Random(rng, 1f, B, smax, kv, dk);
        var v = Random(rng, 1f, B, smax, kv, dv);
        float scale = 1f / MathF.Sqrt(dk);
        var mask = new bool[B * smax];
        for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < 0.7;
        foreach (int threads in new[] { Environment.ProcessorCount, 1 })
        foreach (bool causal in new[] { true, false })
        foreach (bool masked in new[] { false, true })
        {
            var expected = Poisoned(B, T, H, dv);
            var actual = Poisoned(B, T, H, dv);
            ReadOnlySpan<bool> m = masked ? mask : default;
            Ref.Attention(q, k, v, expected, keyCount, queryStart, causal, scale, m);
            Cpu(threads).Attention(q, k, v, actual, keyCount, queryStart, causal, scale, m);
            AssertClose(expected, actual, AttentionTolerance, $"attention causal={causal} masked={masked} threads={threads}");
        }
    }

    [Fact]
    public void Attention_RowsThatSeeNoKey_AreZeros()
    {
        const int B = 2, T = 3, H = 2, S = 5, D = 4;
        var rng = new Random(9);
        var q = Random(rng, 1f, B, T, H, D);
        var k = Random(rng, 1f, B, S, H, D);
        var v = Random(rng, 1f, B, S, H, D);
        // Batch 0 hides key 0 only, so its first causal query sees nothing; batch 1 hides every key.
        var mask = new bool[B * S];
        for (int s = 1; s < S; s++) mask[s] = true;
        var expected = Poisoned(B, T, H, D);
        var actual = Poisoned(B, T, H, D);
        Ref.Attention(q, k, v, expected, S, 0, true, 0.5f, mask);
        CpuKernels.Instance.Attention(q, k, v, actual, S, 0, true, 0.5f, mask);
        AssertClose(expected, actual, AttentionTolerance, "attention with empty rows");
        var o = actual.Span;
        for (int i = 0; i < H * D; i++) Assert.Equal(0f, o[i]);
        for (int i = T * H * D; i < 2 * T * H * D; i++) Assert.Equal(0f, o[i]);
    }

    [Fact]
    public void Attention_HeadsNotAMultipleOfKvHeads_ThrowsShapeException()
        => Assert.Throws<ShapeException>(() => CpuKernels.Instance.Attention(Tensor.Zeros(1, 1, 3, 4), Tensor.Zeros(1, 2, 2, 4),
            Tensor.Zeros(1, 2, 2, 4), Tensor.Zeros(1, 1, 3, 4), 2, 0, true, 1f));
}
