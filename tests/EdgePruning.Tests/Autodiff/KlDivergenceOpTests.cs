using EdgePruning.Autodiff.Ops;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class KlDivergenceOpTests
{
    private const int Rows = 6, Vocab = 11;
    private static readonly int[] Selected = [0, 2, 5];
    private static readonly int[] Columns = [1, 4, 7, 8, 10];

    /// <summary>The loss is a double but the logits are f32; 1e-2 steps on logits of scale 2.</summary>
    private static readonly Tolerance Tol = new(1e-2f, 2e-3, 1e-5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CircuitGradient_MatchesFiniteDifferences_AndTouchesOnlySelectedEntries(bool restrict)
    {
        var rng = new Random(111);
        var full = GradientCheck.Random(rng, 2f, Rows, Vocab);
        var circuit = GradientCheck.Random(rng, 2f, Rows, Vocab);
        int[] cols = restrict ? Columns : [];
        const double dLoss = 1.7;
        var op = new KlDivergenceOp();
        op.Forward(full, circuit, Selected, cols);
        var grad = Tensor.Zeros(Rows, Vocab);
        op.Backward(dLoss, grad);

        GradientCheck.Check("dlogits", circuit, grad, () => [new KlDivergenceOp().Forward(full, circuit, Selected, cols)],
            [dLoss], Tol, rng, samples: Rows * Vocab);
        for (int r = 0; r < Rows; r++)
        for (int j = 0; j < Vocab; j++)
            if (!Selected.Contains(r) || (restrict && !Columns.Contains(j)))
                Assert.Equal(0f, grad.Span[r * Vocab + j]);
    }

    [Fact]
    public void EqualLogits_GiveZero_AndDifferentLogitsGivePositive()
    {
        var rng = new Random(112);
        var a = GradientCheck.Random(rng, 2f, Rows, Vocab);
        var b = GradientCheck.Random(rng, 2f, Rows, Vocab);
        var op = new KlDivergenceOp();
        Assert.Equal(0.0, op.Forward(a, a, Selected), 1e-12);
        Assert.True(op.Forward(a, b, Selected) > 0);
        Assert.True(op.Forward(a, b, Selected, Columns) > 0);
    }

    [Fact]
    public void Forward_IsTheMeanOfPerRowDivergences()
    {
        var rng = new Random(113);
        var full = GradientCheck.Random(rng, 2f, Rows, Vocab);
        var circuit = GradientCheck.Random(rng, 2f, Rows, Vocab);
        double expected = 0;
        foreach (int r in Selected)
        {
            var pf = Softmax(full.Span.Slice(r * Vocab, Vocab));
            var pc = Softmax(circuit.Span.Slice(r * Vocab, Vocab));
            for (int j = 0; j < Vocab; j++) expected += pf[j] * Math.Log(pf[j] / pc[j]);
        }
        expected /= Selected.Length;
        Assert.Equal(expected, new KlDivergenceOp().Forward(full, circuit, Selected), 1e-10);
    }

    private static double[] Softmax(ReadOnlySpan<float> x)
    {
        var e = new double[x.Length];
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += e[i] = Math.Exp(x[i]);
        for (int i = 0; i < x.Length; i++) e[i] /= sum;
        return e;
    }
}
