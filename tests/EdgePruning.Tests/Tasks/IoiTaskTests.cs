using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public class IoiTaskTests
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.R50k();
    private static readonly Lazy<TaskDataset> Default = new(() => IoiTask.Create(Tokenizer, new TaskSplitSizes(200, 200, 300)));

    [Fact]
    public void Splits_HaveTheRequestedSizes_AndPadWithEndOfText()
    {
        TaskAssertions.SizesAre(Default.Value, 200, 200, 300);
        Assert.Equal(50256, Default.Value.PadToken);
        Assert.Equal(TaskLoss.KlFullVocabulary, Default.Value.Loss);
        Assert.Equal(TaskMetric.LogitDifference, Default.Value.Metric);
    }

    [Fact]
    public void EveryExample_IsWellFormed_AndItsAnswerFollowsTheFirstLossPosition()
    {
        TaskAssertions.WellFormed(Default.Value);
        TaskAssertions.AnswerFollowsLossPosition(Default.Value, distinctFirstTokens: false);
    }

    [Fact]
    public void LossPositions_PredictEveryTokenOfTheFinalName()
    {
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            Assert.Equal(ex.Clean.Length - 1, ex.LossPositions[^1] + 1);
            Assert.Equal(Enumerable.Range(ex.MetricPosition, ex.LossPositions.Length), ex.LossPositions);
            string name = ex.Text[(ex.Text.LastIndexOf(' ') + 1)..];
            Assert.Equal(Tokenizer.Encode(" " + name), ex.Clean[(ex.MetricPosition + 1)..]);
            Assert.Equal(Tokenizer.Encode(" " + name)[0], ex.Targets[0]);
        }
    }

    [Fact]
    public void Distractor_IsTheSubject()
    {
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            // The subject is the name that occurs right before "gave"/"decided"/"wanted"/"said": the second clause's first word.
            var words = Tokenizer.Decode(ex.Clean).Split(' ');
            string io = words[^1];
            string subject = words.First(w => w != io && words.Count(x => x == w) == 2 && char.IsUpper(w[0]));
            Assert.Equal(Tokenizer.Encode(" " + subject)[0], ex.Distractors[0]);
        }
    }

    [Fact]
    public void Corruption_ReplacesAllFourNames()
    {
        foreach (var ex in TaskAssertions.All(Default.Value))
        {
            var clean = Tokenizer.Decode(ex.Clean).Split(' ');
            var corrupted = Tokenizer.Decode(ex.Corrupted).Split(' ');
            Assert.Equal(clean.Length, corrupted.Length);
            var changed = Enumerable.Range(0, clean.Length).Where(i => clean[i] != corrupted[i]).ToArray();
            Assert.Equal(4, changed.Length);
            Assert.Equal(4, changed.Select(i => corrupted[i].TrimEnd(',', '.')).Distinct().Count());
            Assert.Equal(2, changed.Select(i => clean[i].TrimEnd(',', '.')).Distinct().Count());
        }
    }

    [Fact]
    public void HeldOutTemplates_AppearOnlyInTest()
    {
        using var doc = EmbeddedTaskFile("ioi.json");
        var heldOut = doc.RootElement.GetProperty("held_out_test_templates").GetProperty("templates_selected_by_that_rule");
        var templates = heldOut.GetProperty("baba").EnumerateArray().Concat(heldOut.GetProperty("abba").EnumerateArray())
            .Select(e => e.GetString()!).ToArray();
        Assert.Equal(4, templates.Length);

        // ABBA and BABA twins read the same with the names unbound, so {A} and {B} must each take one name.
        static bool Matches(string text, string template)
        {
            var pattern = Regex.Escape(template)
                .Replace(@"\{PLACE}", @"\w+").Replace(@"\{OBJECT}", @"\w+");
            foreach (var slot in new[] { "A", "B" })
            {
                int first = pattern.IndexOf(@"\{" + slot + "}", StringComparison.Ordinal);
                pattern = pattern[..first] + $"(?<{slot}>\\w+)" + pattern[(first + slot.Length + 3)..].Replace(@"\{" + slot + "}", $@"\k<{slot}>");
            }
            return Regex.IsMatch(text, "^" + pattern + "$");
        }

        var task = Default.Value;
        Assert.All(task.Train.Concat(task.Validation), ex => Assert.DoesNotContain(templates, t => Matches(ex.Text, t)));
        Assert.All(task.Test, ex => Assert.Contains(templates, t => Matches(ex.Text, t)));
    }

    [Fact]
    public void Sentences_AreDistinctAcrossSplits()
    {
        var texts = TaskAssertions.All(Default.Value).Select(e => e.Text).ToList();
        Assert.Equal(texts.Count, texts.Distinct().Count());
    }

    [Fact]
    public void SameSeed_SameData_OtherSeed_OtherData()
    {
        var sizes = new TaskSplitSizes(20, 20, 20);
        var a = IoiTask.Create(Tokenizer, sizes, seed: 3);
        TaskAssertions.SameData(a, IoiTask.Create(Tokenizer, sizes, seed: 3));
        Assert.True(TaskAssertions.DifferentData(a, IoiTask.Create(Tokenizer, sizes, seed: 4)));
    }

    internal static JsonDocument EmbeddedTaskFile(string name)
    {
        using var stream = typeof(TaskDataset).Assembly.GetManifestResourceStream("tasks/" + name);
        Assert.NotNull(stream);
        return JsonDocument.Parse(stream);
    }
}
