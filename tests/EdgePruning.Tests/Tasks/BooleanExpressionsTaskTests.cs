using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Tests.Models;

namespace EdgePruning.Tests.Tasks;

/// <summary>
/// The Boolean Expressions tasks on a Llama-style SentencePiece tokenizer built here: prompts as the reference
/// writes them, aligned clean/corrupted prompts that differ exactly at the literals, the answer read at the
/// last prompt position, and clear errors where a tokenizer cannot carry the task.
/// </summary>
public class BooleanExpressionsTaskTests : IDisposable
{
    private static readonly TaskSplitSizes Small = new(6, 3, 6);
    private readonly TempDirectory _dir = new();
    private readonly SentencePieceTokenizer _tokenizer;

    public BooleanExpressionsTaskTests() =>
        _tokenizer = SentencePieceTokenizer.Load(BooleanTestModel.WriteTokenizer(_dir.Path));

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(BooleanPromptStyle.Instruction, "instruction")]
    [InlineData(BooleanPromptStyle.FewShot, "few_shot")]
    public void Prompt_IsTheReferencesExample(BooleanPromptStyle style, string key)
    {
        // boolean_expressions.json shows each prompt for the first row of the released test split.
        string expected = TaskDataFiles.Read("boolean_expressions.json").String("prompts", key, "example");
        Assert.Equal(expected, BooleanPrompt.For(style).Text(BooleanExpressionData.Released.Test[0].Input));
    }

    [Fact]
    public void TestTokenizer_HasTheAnswersAsSinglePieces()
    {
        foreach (string word in new[] { "True", "False" })
        {
            Assert.Single(_tokenizer.Encode(word));
            Assert.Equal("\u2581" + word, _tokenizer.TokenText(_tokenizer.Encode(word)[0]));
        }
    }

    [Theory]
    [InlineData(BooleanPromptStyle.Instruction, "")]
    [InlineData(BooleanPromptStyle.FewShot, "\u2581")]
    [InlineData(BooleanPromptStyle.ZeroShot, "\u2581")]
    public void Examples_AreAlignedPrompts_ThatDifferAtTheLiterals(BooleanPromptStyle style, string answerPrefix)
    {
        var task = BooleanExpressionsTask.Create(style, _tokenizer, Small);
        var prompt = BooleanPrompt.For(style);
        Assert.Equal(BooleanExpressionsTask.NameOf(style), task.Name);
        Assert.Equal((Small.Train, Small.Validation, Small.Test), (task.Train.Count, task.Validation.Count, task.Test.Count));
        Assert.Empty(task.Notes);
        var rows = BooleanExpressionData.Released.Train;
        for (int i = 0; i < task.Train.Count; i++)
        {
            var ex = task.Train[i];
            var row = rows[i];
            Assert.Equal(_tokenizer.BosId, ex.Clean[0]);
            Assert.Equal(prompt.Text(row.Input), _tokenizer.Decode(ex.Clean));
            Assert.Equal(prompt.Text(row.CorruptedInput), _tokenizer.Decode(ex.Corrupted));
            Assert.Equal(ex.Clean.Length, ex.Corrupted.Length);
            var differing = Enumerable.Range(0, ex.Clean.Length).Where(p => ex.Clean[p] != ex.Corrupted[p]).ToArray();
            Assert.Equal(row.Length, differing.Length);
            foreach (int p in differing)
                Assert.Contains(_tokenizer.TokenText(ex.Clean[p]).TrimStart('\u2581'), new[] { "True", "False" });

            Assert.Equal([ex.Clean.Length - 1], ex.LossPositions);
            Assert.Equal(ex.Clean.Length - 1, ex.MetricPosition);
            Assert.Equal(answerPrefix + row.TargetText, _tokenizer.TokenText(ex.Targets[0]));
            Assert.Equal(answerPrefix + (row.Target ? "False" : "True"), _tokenizer.TokenText(ex.Distractors[0]));
        }
    }

    [Fact]
    public void TestSplit_IsTheFirstReleasedTestRows()
    {
        var task = BooleanExpressionsTask.Create(BooleanPromptStyle.FewShot, _tokenizer, Small);
        var prompt = BooleanPrompt.For(BooleanPromptStyle.FewShot);
        var released = BooleanExpressionData.Released.Test;
        Assert.Equal(released.Take(Small.Test).Select(r => prompt.Text(r.Input)), task.Test.Select(e => _tokenizer.Decode(e.Clean)));
    }

    [Theory]
    [InlineData("bool-instruct")]
    [InlineData("bool-fewshot")]
    [InlineData("bool-zeroshot")]
    public void Registry_KnowsTheVariants(string name)
    {
        Assert.Contains(name, TaskRegistry.Names());
        var task = TaskRegistry.Create(name, _tokenizer, sizes: Small);
        Assert.Equal(name, task.Name);
        Assert.Equal(BooleanExpressionsTask.Recipe(), task.Recipe);
    }

    [Fact]
    public void TokenizerWithoutFalse_LeavesOutTheRowsItMisaligns_AndSaysSo()
    {
        // Without "False" as one piece it takes several tokens where "True" takes one, so flipping the literals
        // keeps a row's length only when it has as many True as False literals; the other rows are left out.
        using var dir = new TempDirectory();
        var tokenizer = SentencePieceTokenizer.Load(BooleanTestModel.WriteTokenizer(dir.Path, BooleanTestModel.Words.Where(w => w != "False")));
        var task = BooleanExpressionsTask.Create(BooleanPromptStyle.FewShot, tokenizer, new TaskSplitSizes(1, 0, 0));
        Assert.Single(task.Train);
        Assert.Equal(task.Train[0].Clean.Length, task.Train[0].Corrupted.Length);
        var note = Assert.Single(task.Notes);
        Assert.Contains("left out", note);
        Assert.Contains(tokenizer.Name, note);
        // A run on such a task reports it with its shortfalls (on stderr and in circuit.json).
        var circuit = Circuits.CircuitTestGraphs.RandomCircuit(Circuits.CircuitTestGraphs.LlamaGqa(), seed: 1);
        Assert.Contains(note, RunShortfalls.Of(circuit, BooleanExpressionsTask.Recipe(), task, 6000));

        // Sizes asked for must be met; the default sizes take the rows that align and say how many were left out.
        var e = Assert.Throws<TaskDataException>(() => BooleanExpressionsTask.Create(BooleanPromptStyle.FewShot, tokenizer, new TaskSplitSizes(3840, 0, 0)));
        Assert.Contains("keep their token count", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        var whole = BooleanExpressionsTask.Create(BooleanPromptStyle.FewShot, tokenizer);
        Assert.InRange(whole.Train.Count, 1, BooleanExpressionData.Released.Train.Count - 1);
        Assert.All(whole.Train.Concat(whole.Validation).Concat(whole.Test), x => Assert.Equal(x.Clean.Length, x.Corrupted.Length));
        Assert.Equal(3, whole.Notes.Count);
        Assert.Contains($"{whole.Train.Count} kept", whole.Notes[0]);
    }

    [Fact]
    public void SizesBeyondTheReleasedSplit_AreRefused()
    {
        var e = Assert.Throws<TaskDataException>(() => BooleanExpressionsTask.Create(BooleanPromptStyle.Instruction, _tokenizer, new TaskSplitSizes(0, 800, 0)));
        Assert.Contains("767", e.Message);
    }

    [Fact]
    public void Job_TakesTheCodeLlamaRecipe_AndRefusesATokenizerOfAnotherVocabulary()
    {
        using var model = new TempDirectory();
        BooleanTestModel.Write(model.Path);
        var loaded = ModelLoader.Load(model.Path);
        var task = PruningJob.ResolveTask(loaded, "bool-fewshot", null);
        Assert.Equal(BooleanExpressionsTask.Recipe(), PruningJob.DefaultOptions(task, loaded));

        using var other = new TempDirectory();
        string wrong = BooleanTestModel.WriteTokenizer(other.Path, ["True", "False", "and"]);
        var e = Assert.Throws<TokenizerException>(() => PruningJob.ResolveTask(loaded, "bool-fewshot", wrong));
        Assert.Contains(wrong, e.Message);
        Assert.Contains("expects", e.Message);
    }

    [Fact]
    public void Llama2cCheckpoint_TakesTheTokenizerModelBesideIt_WhenItsVocabularyFits()
    {
        using var dir = new TempDirectory();
        var config = BooleanTestModel.Config(_tokenizer.VocabSize);
        string bin = dir.File("model.bin");
        HfLlamaLoaderTests.WriteLlama2c(bin, config, RandomModels.Weights(config, seed: 4));
        BooleanTestModel.WriteTokenizer(dir.Path);
        var found = Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.ForModel(bin));
        Assert.Equal(_tokenizer.VocabSize, found.VocabSize);

        BooleanTestModel.WriteTokenizer(dir.Path, ["True", "False"]);
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.ForModel(bin));
        Assert.Contains($"expects {config.VocabSize}", e.Message);
    }

    [Fact]
    public void Prune_WithATokenizerModelOfAnotherVocabulary_IsOneLine()
    {
        using var dir = new TempDirectory();
        BooleanTestModel.Write(dir.Path);
        BooleanTestModel.WriteTokenizer(dir.Path, ["True", "False", "and", "or"]);
        var (code, o, err) = Cli.CliRunner.Run("prune", "--model", dir.Path, "--task", "bool-instruct", "--steps", "1", "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.Equal("", o);
        Assert.Matches(@"^edgeprune: error: tokenizer .*tokenizer\.model has \d+ tokens but model .* expects \d+\n$", err.ReplaceLineEndings("\n"));
    }
}
