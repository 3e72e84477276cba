using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public class GenderedPronounTaskTests
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.R50k();
    private static readonly Lazy<TaskDataset> Default = new(() => GenderedPronounTask.Create(Tokenizer));
    private static readonly int He = Tokenizer.Encode(" he").Single(), She = Tokenizer.Encode(" she").Single();

    [Fact]
    public void DefaultSplits_Are150_150_378()
    {
        TaskAssertions.SizesAre(Default.Value, 150, 150, 378);
        Assert.Equal(TaskLoss.KlFullVocabulary, Default.Value.Loss);
        Assert.Equal(TaskMetric.LogitDifference, Default.Value.Metric);
    }

    [Fact]
    public void EveryExample_IsWellFormed_AndItsPronounFollowsTheLastPromptPosition()
    {
        TaskAssertions.WellFormed(Default.Value);
        TaskAssertions.AnswerFollowsLossPosition(Default.Value);
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            Assert.Equal([ex.Clean.Length - 2], ex.LossPositions);
            Assert.Contains(ex.Targets[0], new[] { He, She });
            Assert.Equal(ex.Targets[0] == He ? She : He, ex.Distractors[0]);
        }
    }

    [Fact]
    public void Corruption_SwapsTheNameWithinTheSameTemplate_AndFlipsThePronoun()
    {
        using var doc = IoiTaskTests.EmbeddedTaskFile("gendered_pronoun.json");
        var templates = doc.RootElement.GetProperty("templates").EnumerateArray().Select(e => e.GetString()!.Split("{name}")).ToArray();
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            Assert.Equal(ex.Distractors[0], ex.Corrupted[^1]);
            string clean = Tokenizer.Decode(ex.Clean[..^1]), corrupted = Tokenizer.Decode(ex.Corrupted[..^1]);
            var t = templates.Single(t => clean.StartsWith(t[0]) && clean.EndsWith(t[1]) && clean.Length > t[0].Length + t[1].Length);
            Assert.True(corrupted.StartsWith(t[0]) && corrupted.EndsWith(t[1]), corrupted);
            Assert.NotEqual(clean, corrupted);
        }
    }

    [Fact]
    public void Splits_AreDisjoint()
    {
        var keys = TaskAssertions.All(Default.Value).Select(e => string.Join(',', e.Clean)).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [Fact]
    public void SameSeed_SameData_OtherSeed_OtherData()
    {
        var sizes = new TaskSplitSizes(10, 10, 10);
        var a = GenderedPronounTask.Create(Tokenizer, sizes, seed: 1);
        TaskAssertions.SameData(a, GenderedPronounTask.Create(Tokenizer, sizes, seed: 1));
        Assert.True(TaskAssertions.DifferentData(a, GenderedPronounTask.Create(Tokenizer, sizes, seed: 2)));
    }

    [Fact]
    public void AskingForMoreThanTheTemplatesGive_Throws()
    {
        var e = Assert.Throws<TaskDataException>(() => GenderedPronounTask.Create(Tokenizer, new TaskSplitSizes(3000, 500, 500)));
        Assert.Contains("3780", e.Message);
    }
}
