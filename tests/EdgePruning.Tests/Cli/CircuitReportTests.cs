using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

public class CircuitReportTests
{
    [Fact]
    public void MetricTable_KeepsASpaceBetweenTheLongestNameAndItsValue()
    {
        var o = new StringWriter();
        CircuitReport.PrintMetrics(o, new Dictionary<string, double> { ["kl"] = 2.25, ["logit_diff_full"] = 3.90065 });
        var lines = o.ToString().TrimEnd().Split('\n');
        Assert.Contains(lines, l => l.StartsWith("logit_diff_full ") && l.TrimEnd().EndsWith("3.90065"));
        // Values start in one column.
        Assert.Equal(lines[0].IndexOf("2.25", StringComparison.Ordinal), lines[1].IndexOf("3.90065", StringComparison.Ordinal));
    }
}
