using EdgePruning.Autodiff.Ops;

namespace EdgePruning.Tests.Autodiff;

public class HardConcreteEvalTests
{
    private const double ThresholdTargetTolerance = 1e-3;

    [Fact]
    public void ZeroLogit_EqualsSpecFormOfLogitOfMinusLOverRMinusL()
    {
        double l = HardConcreteOp.Left, r = HardConcreteOp.Right;
        double p = -l / (r - l);
        double specForm = HardConcreteOp.Beta * Math.Log(p / (1 - p));
        Assert.Equal(specForm, HardConcreteEval.ZeroLogit, 1e-12);
        Assert.Equal(-1.5986, HardConcreteEval.ZeroLogit, 1e-4);
    }

    [Fact]
    public void Mask_ZeroesTheExpectedNumberOfSmallestSoftValues()
    {
        var rng = new Random(101);
        var logAlpha = Enumerable.Range(0, 257).Select(_ => (float)(rng.NextDouble() * 8 - 4)).ToArray();
        var mask = new float[logAlpha.Length];
        HardConcreteEval.Mask(logAlpha, mask);

        int zeros = (int)Math.Round(logAlpha.Sum(a => HardConcreteEval.ProbabilityZero(a)), MidpointRounding.ToEven);
        Assert.Equal(zeros, mask.Count(v => v == 0f));
        float largestZeroed = logAlpha.Where((_, i) => mask[i] == 0f).Max();
        float smallestKept = logAlpha.Where((_, i) => mask[i] != 0f).Min();
        Assert.True(largestZeroed <= smallestKept);
        for (int i = 0; i < mask.Length; i++)
            if (mask[i] != 0f) Assert.Equal(HardConcreteEval.Soft(logAlpha[i]), mask[i]);
    }

    [Fact]
    public void Mask_IsDeterministic_WithTiesBrokenByIndex()
    {
        // Eight equal entries and about four expected zeros: the lowest indices are zeroed, every time.
        var logAlpha = Enumerable.Repeat(-1.5986f, 8).ToArray();
        var first = new float[8];
        var second = new float[8];
        HardConcreteEval.Mask(logAlpha, first);
        HardConcreteEval.Mask(logAlpha, second);
        Assert.Equal(first, second);
        Assert.Equal([0f, 0f, 0f, 0f], first[..4]);
        Assert.All(first[4..], v => Assert.True(v > 0f));
    }

    [Fact]
    public void Mask_AtInitialization_KeepsEverything()
    {
        var logAlpha = Enumerable.Repeat(10f, 50).ToArray();
        var mask = new float[50];
        HardConcreteEval.Mask(logAlpha, mask);
        Assert.All(mask, v => Assert.Equal((float)(1 / (1 + Math.Exp(-12.0))), v, 1e-6f));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.97)]
    public void Threshold_HitsTargetSparsity(double target)
    {
        var rng = new Random(102);
        var soft = new float[4001];
        for (int i = 0; i < soft.Length; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            soft[i] = HardConcreteEval.Soft((float)(2 * gaussian));
        }
        double tau = HardConcreteEval.Threshold(soft, target);
        Assert.InRange(tau, 0, 1);
        Assert.Equal(target, HardConcreteEval.Sparsity(soft, tau), ThresholdTargetTolerance);
    }
}
