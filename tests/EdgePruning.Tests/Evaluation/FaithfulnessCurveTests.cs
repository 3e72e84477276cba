using EdgePruning.Pruning.Evaluation;

namespace EdgePruning.Tests.Evaluation;

public class FaithfulnessCurveTests
{
    [Fact]
    public void Faithfulness_IsTheMetricBetweenEmptyAndFull()
    {
        Assert.Equal(0.0, FaithfulnessCurve.Faithfulness(2, full: 5, empty: 2));
        Assert.Equal(1.0, FaithfulnessCurve.Faithfulness(5, full: 5, empty: 2));
        Assert.Equal(0.5, FaithfulnessCurve.Faithfulness(3.5, full: 5, empty: 2));
        Assert.Equal(1.5, FaithfulnessCurve.Faithfulness(6.5, full: 5, empty: 2));
        Assert.True(double.IsNaN(FaithfulnessCurve.Faithfulness(1, full: 2, empty: 2)));
    }

    [Fact]
    public void HandMadeCurve_GivesTheTrapezoidAreas()
    {
        // Points at 10%, 50% and 100% of the edges with f = 0.5, 1.5, 1; (0, 0) is added.
        // CPR: 0.1·(0 + 0.5)/2 + 0.4·(0.5 + 1.5)/2 + 0.5·(1.5 + 1)/2 = 0.025 + 0.4 + 0.625 = 1.05
        // CMD: 0.1·(1 + 0.5)/2 + 0.4·(0.5 + 0.5)/2 + 0.5·(0.5 + 0)/2 = 0.075 + 0.2 + 0.125 = 0.4
        CurvePoint[] curve = [new(0.5, 1.5), new(0.1, 0.5), new(1, 1)];
        Assert.Equal(1.05, FaithfulnessCurve.Cpr(curve), 12);
        Assert.Equal(0.4, FaithfulnessCurve.Cmd(curve), 12);
    }

    [Fact]
    public void PerfectCurve_HasCmdNearZero_AndEmptyCurveIsTheDiagonal()
    {
        CurvePoint[] perfect = [new(0.001, 1), new(0.5, 1)];
        Assert.Equal(0.0005, FaithfulnessCurve.Cmd(perfect), 12);
        Assert.Equal(1 - 0.0005, FaithfulnessCurve.Cpr(perfect), 12);
        Assert.Equal(0.5, FaithfulnessCurve.Cpr([]), 12);
        Assert.Equal(0.5, FaithfulnessCurve.Cmd([]), 12);
    }

    [Fact]
    public void NaNPointsAreDropped_AndFractionsOutsideTheAxisAreRejected()
    {
        Assert.Equal(0.5, FaithfulnessCurve.Cpr([new(0.3, double.NaN)]), 12);
        Assert.Throws<ArgumentException>(() => FaithfulnessCurve.Cpr([new(1.5, 1)]));
    }
}
