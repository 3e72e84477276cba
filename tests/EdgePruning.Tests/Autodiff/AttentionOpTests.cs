using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class AttentionOpTests
{
    private const double ForwardTolerance = 2e-6;
    private const int B = 2, H = 4, KV = 2, Dk = 3, Dv = 5;

    /// <summary>
    /// Batch 0 hides key 3; batch 1 hides key 0, so under the causal rule its first query (at queryStart 0)
    /// sees no key at all and must output zero and pass no gradient.
    /// </summary>
    private static bool[] KeyMask(int keys)
    {
        var mask = Enumerable.Repeat(true, B * keys).ToArray();
        mask[3] = false;
        mask[keys] = false;
        return mask;
    }

    [Theory]
    [InlineData(true, 5, 5, 0, true)]
    [InlineData(true, 3, 7, 4, true)]
    [InlineData(false, 5, 6, 0, true)]
    [InlineData(true, 5, 5, 0, false)]
    public void Gradients_MatchFiniteDifferences(bool causal, int queries, int keys, int queryStart, bool masked)
    {
        var rng = new Random(71 + queries * 7 + keys + queryStart);
        var q = GradientCheck.Random(rng, 1.5f, B, queries, H, Dk);
        var k = GradientCheck.Random(rng, 1.5f, B, keys, KV, Dk);
        var v = GradientCheck.Random(rng, 1f, B, keys, KV, Dv);
        var mask = masked ? KeyMask(keys) : null;
        var g = new LossWeights(rng, B, queries, H, Dv);
        float scale = 1f / MathF.Sqrt(Dk);
        var output = Tensor.Zeros(B, queries, H, Dv);
        var op = new AttentionOp(scale, causal, queryStart);
        op.Forward(q, k, v, output, mask);
        var dq = Tensor.Zeros(q.Shape.Dims.ToArray());
        var dk = Tensor.Zeros(k.Shape.Dims.ToArray());
        var dv = Tensor.Zeros(v.Shape.Dims.ToArray());
        op.Backward(g.Gradient, dq, dk, dv);

        Func<double[]> forward = () =>
        {
            new AttentionOp(scale, causal, queryStart).Forward(q, k, v, output, mask);
            return GradientCheck.Values(output);
        };
        GradientCheck.Check("dq", q, dq, forward, g.Values, Tolerance.Smooth, rng);
        GradientCheck.Check("dk", k, dk, forward, g.Values, Tolerance.Smooth, rng);
        GradientCheck.Check("dv", v, dv, forward, g.Values, Tolerance.Linear, rng);
        if (masked)
        {
            for (int h = 0; h < KV; h++)
            for (int i = 0; i < Dk; i++)
            {
                Assert.Equal(0f, dk.Span[((0 * keys + 3) * KV + h) * Dk + i]);
                Assert.Equal(0f, dk.Span[((1 * keys + 0) * KV + h) * Dk + i]);
            }
        }
    }

    [Theory]
    [InlineData(true, 5, 5, 0)]
    [InlineData(true, 3, 7, 4)]
    [InlineData(false, 4, 6, 0)]
    public void Forward_MatchesReferenceKernel(bool causal, int queries, int keys, int queryStart)
    {
        var rng = new Random(72);
        var q = GradientCheck.Random(rng, 1.5f, B, queries, H, Dk);
        var k = GradientCheck.Random(rng, 1.5f, B, keys, KV, Dk);
        var v = GradientCheck.Random(rng, 1f, B, keys, KV, Dv);
        var mask = KeyMask(keys);
        var output = Tensor.Zeros(B, queries, H, Dv);
        var expected = Tensor.Zeros(B, queries, H, Dv);
        var op = new AttentionOp(0.4f, causal, queryStart);
        op.Forward(q, k, v, output, mask);
        ReferenceKernels.Instance.Attention(q, k, v, expected, keys, queryStart, causal, 0.4f, mask);
        for (int i = 0; i < output.Count; i++) Assert.Equal(expected.Span[i], output.Span[i], ForwardTolerance);

        var p = op.Probabilities.Span;
        for (int row = 0; row < B * H * queries; row++)
        {
            double sum = 0;
            for (int s = 0; s < keys; s++) sum += p[row * keys + s];
            int b = row / (H * queries), t = row % queries;
            bool seesNothing = causal && queryStart + t == 0 && !mask[b * keys];
            Assert.Equal(seesNothing ? 0.0 : 1.0, sum, 1e-6);
        }
    }

    [Fact]
    public void LargeShape_ParallelPathsMatchFiniteDifferencesAndReference()
    {
        const int b = 2, t = 24, h = 8, kv = 2, d = 16;
        var rng = new Random(73);
        var q = GradientCheck.Random(rng, 1f, b, t, h, d);
        var k = GradientCheck.Random(rng, 1f, b, t, kv, d);
        var v = GradientCheck.Random(rng, 1f, b, t, kv, d);
        var mask = Enumerable.Range(0, b * t).Select(i => i % 5 != 2).ToArray();
        var g = new LossWeights(rng, b, t, h, d);
        var output = Tensor.Zeros(b, t, h, d);
        var expected = Tensor.Zeros(b, t, h, d);
        var op = new AttentionOp(0.25f, causal: true);
        op.Forward(q, k, v, output, mask);
        ReferenceKernels.Instance.Attention(q, k, v, expected, t, 0, true, 0.25f, mask);
        for (int i = 0; i < output.Count; i++) Assert.Equal(expected.Span[i], output.Span[i], ForwardTolerance);
        var dq = Tensor.Zeros(b, t, h, d);
        var dk = Tensor.Zeros(b, t, kv, d);
        var dv = Tensor.Zeros(b, t, kv, d);
        op.Backward(g.Gradient, dq, dk, dv);

        Func<double[]> forward = () =>
        {
            new AttentionOp(0.25f, causal: true).Forward(q, k, v, output, mask);
            return GradientCheck.Values(output);
        };
        GradientCheck.Check("dq", q, dq, forward, g.Values, Tolerance.Smooth, rng);
        GradientCheck.Check("dk", k, dk, forward, g.Values, Tolerance.Smooth, rng);
        GradientCheck.Check("dv", v, dv, forward, g.Values, Tolerance.Linear, rng);
    }
}
