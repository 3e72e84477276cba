using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class LinearOpTests
{
    private static readonly ReferenceKernels K = ReferenceKernels.Instance;

    [Fact]
    public void InputGradient_MatchesFiniteDifferences()
    {
        var rng = new Random(11);
        var x = GradientCheck.Random(rng, 1f, 7, 5);
        var w = GradientCheck.Random(rng, 1f, 9, 5);
        var b = GradientCheck.Random(rng, 1f, 9);
        var g = new LossWeights(rng, 7, 9);
        var y = Tensor.Zeros(7, 9);
        LinearOp.Forward(K, x, w, b, y);
        var dx = GradientCheck.Random(rng, 1f, 7, 5);
        var before = dx.ToArray();
        LinearOp.Backward(K, g.Gradient, w, dx);
        var accumulated = dx.ToArray();
        for (int i = 0; i < before.Length; i++) dx.Span[i] = accumulated[i] - before[i];

        GradientCheck.Check("dx", x, dx, () => { LinearOp.Forward(K, x, w, b, y); return GradientCheck.Values(y); },
            g.Values, Tolerance.Linear, rng);
    }

    [Fact]
    public void HeadSlices_SumToTheFullProjection()
    {
        var rng = new Random(12);
        const int heads = 3, hd = 5, d = 7, m = 4;
        var a = GradientCheck.Random(rng, 1f, m, heads * hd);
        var wo = GradientCheck.Random(rng, 1f, d, heads * hd);
        var full = Tensor.Zeros(m, d);
        LinearOp.Forward(K, a, wo, null, full);

        var sum = new double[m * d];
        var part = Tensor.Zeros(m, d);
        for (int h = 0; h < heads; h++)
        {
            var ah = Tensor.Zeros(m, hd);
            for (int r = 0; r < m; r++) a.Span.Slice(r * heads * hd + h * hd, hd).CopyTo(ah.Span.Slice(r * hd, hd));
            LinearOp.Forward(K, ah, LinearOp.ColumnSlice(wo, h * hd, hd), null, part);
            for (int i = 0; i < sum.Length; i++) sum[i] += part.Span[i];
        }
        for (int i = 0; i < sum.Length; i++) Assert.Equal(full.Span[i], sum[i], 1e-5);
    }
}
