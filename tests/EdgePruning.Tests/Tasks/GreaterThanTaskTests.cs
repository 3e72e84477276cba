using System.Globalization;
using System.Text.RegularExpressions;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public class GreaterThanTaskTests
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.R50k();
    private static readonly Lazy<TaskDataset> Default = new(() => GreaterThanTask.Create(Tokenizer));
    private static readonly Regex Prompt = new(@"^The (\w+) lasted from (\d\d)(\d\d) to (\d\d)$");

    [Fact]
    public void DefaultSplits_Are150_150_1000_WithRestrictedKlAndProbabilityDifference()
    {
        TaskAssertions.SizesAre(Default.Value, 150, 150, 1000);
        Assert.Equal(TaskLoss.KlRestricted, Default.Value.Loss);
        Assert.Equal(TaskMetric.ProbabilityDifference, Default.Value.Metric);
    }

    [Fact]
    public void OutputColumns_AreTheHundredTwoDigitTokens_InNumericOrder()
    {
        var columns = Default.Value.OutputColumns!;
        Assert.Equal(100, columns.Length);
        Assert.Equal(100, columns.Distinct().Count());
        for (int yy = 0; yy < 100; yy++)
        {
            string text = yy.ToString("00", CultureInfo.InvariantCulture);
            Assert.Equal([columns[yy]], Tokenizer.Encode(text));
            Assert.Equal(text, Tokenizer.Decode([columns[yy]]));
        }
    }

    [Fact]
    public void ValidYears_MatchTheTableInTheTaskFile()
    {
        using var doc = IoiTaskTests.EmbeddedTaskFile("greater_than.json");
        var table = doc.RootElement.GetProperty("valid_YY_by_century");
        var computed = GreaterThanTask.ValidYYByCentury(Tokenizer);
        Assert.Equal(table.EnumerateObject().Select(p => int.Parse(p.Name, CultureInfo.InvariantCulture)), computed.Keys);
        foreach (var p in table.EnumerateObject())
            Assert.Equal(p.Value.EnumerateArray().Select(e => int.Parse(e.GetString()!, CultureInfo.InvariantCulture)), computed[int.Parse(p.Name, CultureInfo.InvariantCulture)]);
    }

    [Fact]
    public void EveryExample_ReadsTheLastPosition_AndItsLabelIsTheStartYear()
    {
        TaskAssertions.WellFormed(Default.Value);
        var valid = GreaterThanTask.ValidYYByCentury(Tokenizer);
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            Assert.Equal([ex.Clean.Length - 1], ex.LossPositions);
            Assert.Equal(ex.Clean.Length - 1, ex.MetricPosition);
            Assert.Equal(ex.Text, Tokenizer.Decode(ex.Clean));
            var m = Prompt.Match(ex.Text);
            Assert.True(m.Success, ex.Text);
            Assert.Equal(m.Groups[2].Value, m.Groups[4].Value);
            int cc = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), yy = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.Contains(yy, valid[cc]);
            // The label is the start YY, or the last YY before the next valid year across a gap.
            Assert.InRange(ex.Label, yy, valid[cc].First(v => v > yy) - 1);
        }
    }

    [Fact]
    public void Splits_UseDisjointYY_TheReleasedValidationAndTestSets()
    {
        var task = Default.Value;
        var train = task.Train.Select(e => e.Label).ToHashSet();
        var validation = task.Validation.Select(e => e.Label).ToHashSet();
        var test = task.Test.Select(e => e.Label).ToHashSet();
        Assert.Empty(train.Intersect(validation));
        Assert.Empty(train.Intersect(test));
        Assert.Empty(validation.Intersect(test));
        Assert.Subset(new HashSet<int> { 20, 32, 38, 54, 56, 75, 80, 82, 87, 97 }, test);
        Assert.Subset(new HashSet<int> { 25, 35, 45, 59, 65, 71, 72, 77, 83, 88 }, validation);
    }

    [Fact]
    public void WholeTestPool_IsTheReleased12240()
    {
        var task = GreaterThanTask.Create(Tokenizer, new TaskSplitSizes(0, 0, int.MaxValue));
        Assert.Equal(12_240, task.Test.Count);
        Assert.Equal(12_240, task.Test.Select(e => e.Text).Distinct().Count());
    }

    [Fact]
    public void Corruption_KeepsTheNoun_AndLeavesRoomForALaterYear()
    {
        var valid = GreaterThanTask.ValidYYByCentury(Tokenizer);
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            var clean = Prompt.Match(ex.Text);
            var corrupted = Prompt.Match(Tokenizer.Decode(ex.Corrupted));
            Assert.True(corrupted.Success, Tokenizer.Decode(ex.Corrupted));
            Assert.Equal(clean.Groups[1].Value, corrupted.Groups[1].Value);
            Assert.Equal(corrupted.Groups[2].Value, corrupted.Groups[4].Value);
            int cc = int.Parse(corrupted.Groups[2].Value, CultureInfo.InvariantCulture), yy = int.Parse(corrupted.Groups[3].Value, CultureInfo.InvariantCulture);
            Assert.InRange(yy, 1, 98);
            Assert.Contains(valid[cc], v => v > yy);
        }
        Assert.Contains(TaskAssertions.All(Default.Value), ex => !ex.Clean.SequenceEqual(ex.Corrupted));
    }

    [Fact]
    public void SameSeed_SameData_OtherSeed_OtherData()
    {
        var sizes = new TaskSplitSizes(10, 10, 10);
        var a = GreaterThanTask.Create(Tokenizer, sizes, seed: 1);
        TaskAssertions.SameData(a, GreaterThanTask.Create(Tokenizer, sizes, seed: 1));
        Assert.True(TaskAssertions.DifferentData(a, GreaterThanTask.Create(Tokenizer, sizes, seed: 2)));
    }
}
