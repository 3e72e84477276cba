using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class TapeTests
{
    private static readonly ReferenceKernels K = ReferenceKernels.Instance;
    private const int Rows = 5, Dim = 7, Hidden = 9;

    private sealed record Layer(Tensor Gamma, Tensor Beta, Tensor W1, Tensor B1, Tensor W2);

    /// <summary>
    /// One toy block, x → LayerNorm → Linear → GELU → Linear → + x, written against the tape: it records
    /// its backward steps and allocates its own intermediate gradients only when the tape records.
    /// </summary>
    private static void Block(Tape tape, Layer p, Tensor x, Tensor dx, Tensor y, Tensor dy)
    {
        var h = Tensor.Zeros(Rows, Dim);
        var norm = new LayerNormOp(p.Gamma, p.Beta, 1e-5f);
        norm.Forward(x, h);
        var a = Tensor.Zeros(Rows, Hidden);
        LinearOp.Forward(K, h, p.W1, p.B1, a);
        var act = Tensor.Zeros(Rows, Hidden);
        ActivationOp.Forward(K, Activation.GeluTanh, a, act);
        LinearOp.Forward(K, act, p.W2, null, y);
        K.Add(y, x, y);
        if (!tape.IsRecording) return;

        var dh = Tensor.Zeros(Rows, Dim);
        var da = Tensor.Zeros(Rows, Hidden);
        var dact = Tensor.Zeros(Rows, Hidden);
        tape.Record(() => norm.Backward(dh, dx));
        tape.Record(() => LinearOp.Backward(K, da, p.W1, dh));
        tape.Record(() => ActivationOp.Backward(Activation.GeluTanh, a, dact, da));
        tape.Record(() =>
        {
            LinearOp.Backward(K, dy, p.W2, dact);
            K.Add(dx, dy, dx);
        });
    }

    private static (float[] dx0, float[] y2) TwoLayers(bool checkpoint, Layer[] layers, Tensor x0, Tensor g)
    {
        var tape = new Tape();
        var xs = new[] { x0, Tensor.Zeros(Rows, Dim), Tensor.Zeros(Rows, Dim) };
        var dxs = new[] { Tensor.Zeros(Rows, Dim), Tensor.Zeros(Rows, Dim), Tensor.Zeros(Rows, Dim) };
        for (int l = 0; l < 2; l++)
        {
            int i = l;
            if (checkpoint) tape.Checkpoint(t => Block(t, layers[i], xs[i], dxs[i], xs[i + 1], dxs[i + 1]));
            else Block(tape, layers[i], xs[i], dxs[i], xs[i + 1], dxs[i + 1]);
        }
        Assert.Equal(checkpoint ? 2 : 8, tape.Count);
        g.Span.CopyTo(dxs[2].Span);
        tape.Backward();
        Assert.Equal(0, tape.Count);
        return (dxs[0].ToArray(), xs[2].ToArray());
    }

    private static Layer RandomLayer(Random rng) => new(GradientCheck.Random(rng, 1f, Dim), GradientCheck.Random(rng, 1f, Dim),
        GradientCheck.Random(rng, 1f, Hidden, Dim), GradientCheck.Random(rng, 1f, Hidden), GradientCheck.Random(rng, 1f, Dim, Hidden));

    [Fact]
    public void CheckpointedLayers_GiveTheSameGradientsAsRecordedOnes()
    {
        var rng = new Random(131);
        var layers = new[] { RandomLayer(rng), RandomLayer(rng) };
        var x0 = GradientCheck.Random(rng, 1f, Rows, Dim);
        var g = new LossWeights(rng, Rows, Dim);

        var (plain, yPlain) = TwoLayers(false, layers, x0, g.Gradient);
        var (recomputed, yRecomputed) = TwoLayers(true, layers, x0, g.Gradient);
        Assert.Equal(yPlain, yRecomputed);
        Assert.Equal(plain, recomputed);

        var dx0 = Tensor.FromData(plain, Rows, Dim);
        GradientCheck.Check("dx0", x0, dx0, () =>
        {
            var y1 = Tensor.Zeros(Rows, Dim);
            var y2 = Tensor.Zeros(Rows, Dim);
            var none = new Tape(recording: false);
            var unused = Tensor.Zeros(Rows, Dim);
            Block(none, layers[0], x0, unused, y1, unused);
            Block(none, layers[1], y1, unused, y2, unused);
            return GradientCheck.Values(y2);
        }, g.Values, Tolerance.Smooth, rng);
    }

    [Fact]
    public void Backward_RunsStepsInReverseOrder_AndANonRecordingTapeKeepsNothing()
    {
        var order = new List<int>();
        var tape = new Tape();
        for (int i = 0; i < 4; i++)
        {
            int k = i;
            tape.Record(() => order.Add(k));
        }
        tape.Backward();
        Assert.Equal([3, 2, 1, 0], order);

        var none = new Tape(recording: false);
        none.Record(() => order.Add(99));
        none.Checkpoint(t => t.Record(() => order.Add(98)));
        Assert.Equal(0, none.Count);
        none.Backward();
        Assert.Equal(4, order.Count);
    }

    [Fact]
    public void NestedCheckpoints_RunTheirStepsInReverseOrder()
    {
        var order = new List<string>();
        var tape = new Tape();
        tape.Record(() => order.Add("first"));
        tape.Checkpoint(t =>
        {
            t.Record(() => order.Add("outer-a"));
            t.Checkpoint(u => u.Record(() => order.Add("inner")));
            t.Record(() => order.Add("outer-b"));
        });
        tape.Record(() => order.Add("last"));
        tape.Backward();
        Assert.Equal(["last", "outer-b", "inner", "outer-a", "first"], order);
    }
}
