using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public class StoriesPronounTaskTests
{
    private static readonly Lazy<Llama2cTokenizer> Tokenizer = new(() => Llama2cTokenizer.Load(SharedData.Model("stories260K", "tok512.bin")));

    [SharedFact]
    public void Pronouns_AreSingleTokens_InTok512()
    {
        var tok = Tokenizer.Value;
        var he = tok.Encode("When he", addBos: true);
        var she = tok.Encode("When she", addBos: true);
        Assert.Equal(he.Count, she.Count);
        Assert.Equal(281, he[^1]);
        Assert.Equal(358, she[^1]);
        Assert.Equal(" he", tok.TokenText(281));
        Assert.Equal(" she", tok.TokenText(358));
    }

    [SharedFact]
    public void Splits_AreWellFormed_StartWithBos_AndFlipThePronoun()
    {
        var task = StoriesPronounTask.Create(Tokenizer.Value);
        TaskAssertions.SizesAre(task, 64, 32, 64);
        TaskAssertions.WellFormed(task);
        TaskAssertions.AnswerFollowsLossPosition(task);
        foreach (var ex in TaskAssertions.All(task))
        {
            Assert.Equal(Llama2cTokenizer.Bos, ex.Clean[0]);
            Assert.Equal(Llama2cTokenizer.Bos, ex.Corrupted[0]);
            Assert.Equal([ex.Clean.Length - 2], ex.LossPositions);
            Assert.Contains(ex.Targets[0], new[] { 281, 358 });
            Assert.Equal(ex.Distractors[0], ex.Corrupted[^1]);
            string clean = Tokenizer.Value.Decode(ex.Clean), corrupted = Tokenizer.Value.Decode(ex.Corrupted);
            bool girl = ex.Targets[0] == 358;
            Assert.Contains(girl ? " girl" : " boy", clean);
            Assert.Contains(girl ? " boy" : " girl", corrupted);
            Assert.DoesNotContain(girl ? " boy" : " girl", clean);
        }
        var keys = TaskAssertions.All(task).Select(e => string.Join(',', e.Clean)).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
    }

    [SharedFact]
    public void SameSeed_SameData_OtherSeed_OtherData()
    {
        var a = StoriesPronounTask.Create(Tokenizer.Value, seed: 5);
        TaskAssertions.SameData(a, StoriesPronounTask.Create(Tokenizer.Value, seed: 5));
        Assert.True(TaskAssertions.DifferentData(a, StoriesPronounTask.Create(Tokenizer.Value, seed: 6)));
    }

    [SharedFact]
    public void FullModel_PutsTheRightPronounFirst_OnTheTestSplit()
    {
        var model = ModelLoader.Load(SharedData.Model("stories260K", "stories260K.bin"));
        var transformer = new Transformer(model.Config, model.Weights, ReferenceKernels.Instance);
        var task = StoriesPronounTask.Create(Tokenizer.Value);
        int V = model.Config.VocabSize, preferred = 0, argmax = 0;
        foreach (var ex in task.Test)
        {
            var logits = transformer.Forward(ex.Clean, 1).Span.Slice(ex.MetricPosition * V, V);
            if (logits[ex.Targets[0]] > logits[ex.Distractors[0]]) preferred++;
            if (TaskMetrics.ArgMax(logits) == ex.Targets[0]) argmax++;
        }
        Assert.True(argmax >= 0.8 * task.Test.Count, $"argmax accuracy {argmax}/{task.Test.Count}");
        Assert.True(preferred >= 0.8 * task.Test.Count, $"target over distractor {preferred}/{task.Test.Count}");
    }
}
