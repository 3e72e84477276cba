using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class MaskedEdgeSumOpTests
{
    private static readonly ReferenceKernels K = ReferenceKernels.Instance;
    private const int R = 5, W = 7, N = 13;
    private const double ForwardTolerance = 1e-5;

    /// <summary>Three attention-like readers see 3 writers, an MLP-like reader 5, a final reader all 7.</summary>
    private static readonly int[] Visible = [3, 3, 3, 5, 7];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_MatchFiniteDifferences_AndInvisibleEntriesGetNone(bool perReaderBase)
    {
        var rng = new Random(81);
        // Z is random everywhere, invisible entries included: the op must ignore them.
        var z = GradientCheck.Random(rng, 1f, R, W);
        var d = GradientCheck.Random(rng, 1f, W, N);
        var c = perReaderBase ? GradientCheck.Random(rng, 1f, R, N) : GradientCheck.Random(rng, 1f, N);
        var g = new LossWeights(rng, R, N);
        var x = Tensor.Zeros(R, N);
        MaskedEdgeSumOp.Forward(K, z, Visible, d, c, x);
        var dz = Tensor.Zeros(R, W);
        var dd = Tensor.Zeros(W, N);
        MaskedEdgeSumOp.Backward(K, z, Visible, d, g.Gradient, dz, dd);

        Func<double[]> forward = () => { MaskedEdgeSumOp.Forward(K, z, Visible, d, c, x); return GradientCheck.Values(x); };
        GradientCheck.Check("dz", z, dz, forward, g.Values, Tolerance.Linear, rng, samples: R * W);
        GradientCheck.Check("dd", d, dd, forward, g.Values, Tolerance.Linear, rng);
        for (int r = 0; r < R; r++)
        for (int w = Visible[r]; w < W; w++)
            Assert.Equal(0f, dz.Span[r * W + w]);
    }

    [Fact]
    public void Forward_IsBasePlusVisibleWeightedDifferences()
    {
        var rng = new Random(82);
        var z = GradientCheck.Random(rng, 1f, R, W);
        var d = GradientCheck.Random(rng, 1f, W, N);
        var c = GradientCheck.Random(rng, 1f, N);
        var x = Tensor.Zeros(R, N);
        MaskedEdgeSumOp.Forward(K, z, Visible, d, c, x);
        for (int r = 0; r < R; r++)
        for (int j = 0; j < N; j++)
        {
            double expected = c.Span[j];
            for (int w = 0; w < Visible[r]; w++) expected += (double)z.Span[r * W + w] * d.Span[w * N + j];
            Assert.Equal(expected, x.Span[r * N + j], ForwardTolerance);
        }
    }

    [Fact]
    public void AllMasksOne_GivesEachReaderTheCleanPrefixSum()
    {
        // With z = 1 a reader sees C + Σ (y − ỹ) = Σ y over its visible writers: the unpruned model.
        var rng = new Random(83);
        var clean = GradientCheck.Random(rng, 1f, W, N);
        var corrupted = GradientCheck.Random(rng, 1f, W, N);
        var d = Tensor.Zeros(W, N);
        for (int i = 0; i < d.Count; i++) d.Span[i] = clean.Span[i] - corrupted.Span[i];
        var x = Tensor.Zeros(R, N);
        var z = Tensor.Zeros(R, W);
        z.Fill(1f);
        var c = Tensor.Zeros(R, N);
        for (int r = 0; r < R; r++)
        for (int w = 0; w < Visible[r]; w++)
        for (int j = 0; j < N; j++)
            c.Span[r * N + j] += corrupted.Span[w * N + j];
        MaskedEdgeSumOp.Forward(K, z, Visible, d, c, x);
        for (int r = 0; r < R; r++)
        for (int j = 0; j < N; j++)
        {
            double expected = 0;
            for (int w = 0; w < Visible[r]; w++) expected += clean.Span[w * N + j];
            Assert.Equal(expected, x.Span[r * N + j], ForwardTolerance);
        }
    }

    [Fact]
    public void OutboxWithTokenAxes_GivesTheSameResultAsFlatRows()
    {
        const int batch = 2, tokens = 3, d = 5;
        var rng = new Random(84);
        var z = GradientCheck.Random(rng, 1f, R, W);
        var outbox = GradientCheck.Random(rng, 1f, W, batch, tokens, d);
        var c = GradientCheck.Random(rng, 1f, batch, tokens, d);
        var shaped = Tensor.Zeros(R, batch, tokens, d);
        var flat = Tensor.Zeros(R, batch * tokens * d);
        MaskedEdgeSumOp.Forward(K, z, Visible, outbox, c, shaped);
        MaskedEdgeSumOp.Forward(K, z, Visible, outbox.Reshape(W, -1), c.Reshape(-1), flat);
        Assert.Equal(flat.ToArray(), shaped.ToArray());

        var dx = GradientCheck.Random(rng, 1f, R, batch, tokens, d);
        var ddShaped = Tensor.Zeros(W, batch, tokens, d);
        var ddFlat = Tensor.Zeros(W, batch * tokens * d);
        MaskedEdgeSumOp.Backward(K, z, Visible, outbox, dx, null, ddShaped);
        MaskedEdgeSumOp.Backward(K, z, Visible, outbox.Reshape(W, -1), dx.Reshape(R, -1), null, ddFlat);
        Assert.Equal(ddFlat.ToArray(), ddShaped.ToArray());
    }

    [Fact]
    public void NoWriters_GivesTheBaseAndNoGradient()
    {
        var rng = new Random(85);
        var c = GradientCheck.Random(rng, 1f, N);
        var x = Tensor.Zeros(3, N);
        var z = Tensor.Zeros(3, 0);
        var d = Tensor.Zeros(0, N);
        MaskedEdgeSumOp.Forward(K, z, [0, 0, 0], d, c, x);
        for (int r = 0; r < 3; r++) Assert.Equal(c.ToArray(), x.Row(r).ToArray());
        MaskedEdgeSumOp.Backward(K, z, [0, 0, 0], d, GradientCheck.Random(rng, 1f, 3, N), Tensor.Zeros(3, 0), Tensor.Zeros(0, N));
    }
}
