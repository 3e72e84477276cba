using EdgePruning.Autodiff.Ops;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

public class HardConcreteOpTests
{
    private const int Entries = 200;

    /// <summary>
    /// z is f32 and its slope in log α is at most (r−l)/(4β) = 0.45, so a 1e-3 step changes z by 4.5e-4;
    /// entries are checked only where the stretched value stays 0.01 inside (0,1), away from the clamp.
    /// </summary>
    private static readonly Tolerance Tol = new(1e-3f, 2e-3, 2e-5);
    private const double ClampMargin = 0.01;

    private static double Stretched(float logAlpha, float u)
    {
        double s = 1 / (1 + Math.Exp(-(Math.Log(u) - Math.Log(1.0 - u) + logAlpha) / HardConcreteOp.Beta));
        return HardConcreteOp.Left + (HardConcreteOp.Right - HardConcreteOp.Left) * s;
    }

    [Fact]
    public void Gradient_MatchesFiniteDifferencesInside_AndIsZeroWhereClamped()
    {
        var rng = new Random(91);
        var logAlpha = GradientCheck.Random(rng, 3f, Entries);
        var u = new float[Entries];
        HardConcreteOp.DrawUniform(rng, u);
        var g = new LossWeights(rng, Entries);
        var z = new float[Entries];
        var dLogAlpha = Tensor.Zeros(Entries);
        HardConcreteOp.Backward(logAlpha.Span, u, g.Gradient.Span, dLogAlpha.Span);

        int inside = 0, clamped = 0;
        for (int i = 0; i < Entries; i++)
        {
            double t = Stretched(logAlpha.Span[i], u[i]);
            if (t <= 0 || t >= 1) { clamped++; Assert.Equal(0f, dLogAlpha.Span[i]); }
            else if (t > ClampMargin && t < 1 - ClampMargin) inside++;
        }
        Assert.True(inside > 20 && clamped > 20, $"the sample should cover both regimes: {inside} inside, {clamped} clamped");

        // Only entries away from the clamp take part: the others' weights are set to zero.
        var weights = (double[])g.Values.Clone();
        for (int i = 0; i < Entries; i++)
        {
            double t = Stretched(logAlpha.Span[i], u[i]);
            if (t <= ClampMargin || t >= 1 - ClampMargin) { weights[i] = 0; dLogAlpha.Span[i] = 0; }
        }
        var scaled = Tensor.Zeros(Entries);
        for (int i = 0; i < Entries; i++) scaled.Span[i] = (float)weights[i];
        dLogAlpha.Fill(0f);
        HardConcreteOp.Backward(logAlpha.Span, u, scaled.Span, dLogAlpha.Span);
        GradientCheck.Check("dlogα", logAlpha, dLogAlpha, () =>
        {
            HardConcreteOp.Forward(logAlpha.Span, u, z);
            return Array.ConvertAll(z, v => (double)v);
        }, weights, Tol, rng, samples: Entries);
    }

    [Fact]
    public void Samples_StayInTheUnitInterval_AndLargeLogAlphaGivesOne()
    {
        var rng = new Random(92);
        var u = new float[1000];
        HardConcreteOp.DrawUniform(rng, u);
        var logAlpha = Enumerable.Repeat(10f, 1000).ToArray();
        var z = new float[1000];
        HardConcreteOp.Forward(logAlpha, u, z);
        Assert.All(u, v => Assert.InRange(v, (float)HardConcreteOp.Epsilon, 1f - (float)HardConcreteOp.Epsilon));
        // At the initialization log α ≈ 10 nearly every sample is clamped to exactly 1.
        Assert.True(z.Count(v => v == 1f) > 990);
        Assert.All(z, v => Assert.InRange(v, 0f, 1f));
    }
}
