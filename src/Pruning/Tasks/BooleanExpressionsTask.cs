using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Boolean Expressions, the task of Edge Pruning's CodeLlama-13B-Instruct case study: "( True or False ) and
/// not False" → True, on the released splits (<see cref="BooleanExpressionData"/>), in one of three prompt
/// styles, each its own task name so that a circuit file names the prompts it was found with:
/// <c>bool-instruct</c> (the paper's instruction prompting, Llama-2 chat format), <c>bool-fewshot</c> (its
/// few-shot prompting) and <c>bool-zeroshot</c> (the reference evaluation's third mode).
/// The corrupted prompt is the same prompt around the literal-flipped input. The clean sequence is the prompt
/// (BOS first where the tokenizer has one of its own, as Llama's does); the KL over the full vocabulary and the
/// metric read its last position; the target is the first token of the right answer there and the distractor
/// that of the other one. Train and validation are the released splits, test their first 400 examples (the
/// reference evaluation's default), less any rows the tokenizer cannot corrupt position by position (the
/// task's <see cref="TaskDataset.Notes"/> say how many). The data does not depend on the seed: it is the
/// released dataset.
/// </summary>
public static class BooleanExpressionsTask
{
    public const string InstructName = "bool-instruct";
    public const string FewShotName = "bool-fewshot";
    public const string ZeroShotName = "bool-zeroshot";

    public static readonly TaskSplitSizes DefaultSizes = new(3840, 767, 400);

    public static TaskDataset Instruct(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0) =>
        Create(BooleanPromptStyle.Instruction, tokenizer, sizes);

    public static TaskDataset FewShot(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0) =>
        Create(BooleanPromptStyle.FewShot, tokenizer, sizes);

    public static TaskDataset ZeroShot(ITokenizer tokenizer, TaskSplitSizes? sizes = null, int seed = 0) =>
        Create(BooleanPromptStyle.ZeroShot, tokenizer, sizes);

    public static string NameOf(BooleanPromptStyle style) => style switch
    {
        BooleanPromptStyle.Instruction => InstructName,
        BooleanPromptStyle.FewShot => FewShotName,
        _ => ZeroShotName,
    };

    /// <summary>
    /// The CodeLlama recipe of the reference's launch scripts (launch_fllama_*_prune.sh): edge target 1.2, node
    /// masks trained without their Lagrangian, mask lr 0.8, λ lr 0.4, 6,000 steps with a 5,500-step sparsity ramp
    /// and 200 warm-up steps, 32 sequences a step (one per GPU there), corrupted-input ablation.
    /// </summary>
    public static PruningOptions Recipe() => new()
    {
        TargetEdgeSparsity = 1.2, TargetNodeSparsity = null, NodeMasks = true,
        Steps = 6000, SparsityWarmupSteps = 5500, LrWarmupSteps = 200, Batch = 32,
        EdgeLr = 0.8, EdgeLambdaLr = 0.4, NodeLr = 0.8, NodeLambdaLr = 0.4, Ablation = Ablation.Interchange,
    };

    public static TaskDataset Create(BooleanPromptStyle style, ITokenizer tokenizer, TaskSplitSizes? sizes = null)
    {
        string name = NameOf(style);
        // Sizes asked for must be met; the default sizes are an upper bound (a tokenizer may align fewer rows).
        bool strict = sizes is not null;
        sizes ??= DefaultSizes;
        sizes.Validate(name);
        var prompt = BooleanPrompt.For(style);
        bool bos = tokenizer.BosId is int b && b != tokenizer.EosId;
        var data = BooleanExpressionData.Released;
        var notes = new List<string>();
        var train = Build(name, "train", data.Train, sizes.Train, strict, prompt, tokenizer, bos, notes);
        var validation = Build(name, "validation", data.Validation, sizes.Validation, strict, prompt, tokenizer, bos, notes);
        var test = Build(name, "test", data.Test, sizes.Test, strict, prompt, tokenizer, bos, notes);
        return new TaskDataset
        {
            Name = name,
            Train = train,
            Validation = validation,
            Test = test,
            Loss = TaskLoss.KlFullVocabulary,
            Metric = TaskMetric.LogitDifference,
            PadToken = tokenizer.EosId ?? 0,
            Recipe = Recipe(),
            Notes = notes,
        };
    }

    /// <summary>
    /// The first <paramref name="count"/> rows of a released split that the tokenizer can corrupt position by
    /// position. A tokenizer that splits "True" and "False" into different numbers of tokens changes the length
    /// of some corrupted prompts; those rows are left out (and said so in <paramref name="notes"/>), because the
    /// interchange needs the two sequences aligned. Fewer rows than <paramref name="count"/> is an error when
    /// the count was asked for (<paramref name="strict"/>), else a note.
    /// </summary>
    private static List<TaskExample> Build(string name, string split, IReadOnlyList<BooleanExpression> rows, int count, bool strict,
        BooleanPrompt prompt, ITokenizer tokenizer, bool bos, List<string> notes)
    {
        var examples = new List<TaskExample>(Math.Min(count, rows.Count));
        int skipped = 0;
        foreach (var row in rows)
        {
            if (examples.Count == count) break;
            var example = Example(name, row, prompt, tokenizer, bos);
            if (example is null) skipped++;
            else examples.Add(example);
        }
        if (examples.Count < count && (strict || skipped == 0))
            throw new TaskDataException(skipped == 0
                ? $"task {name}: {count} {split} examples asked for, the released split has {rows.Count}"
                : $"task {name}: {count} {split} examples asked for, but only {examples.Count} of the released {rows.Count} keep their " +
                  $"token count when their literals are flipped with {tokenizer.Name}");
        if (examples.Count == 0 && count > 0)
            throw new TaskDataException($"task {name}: none of the {rows.Count} released {split} rows keeps its token count when its literals are flipped with {tokenizer.Name}");
        if (skipped > 0)
            notes.Add($"task {name}: {skipped} of the {skipped + examples.Count} {split} rows read were left out ({examples.Count} kept): with " +
                $"{tokenizer.Name} flipping their literals changes their token count, so the corrupted prompt cannot be aligned with the clean one");
        return examples;
    }

    private static TaskExample? Example(string name, BooleanExpression row, BooleanPrompt prompt, ITokenizer tokenizer, bool bos)
    {
        string text = prompt.Text(row.Input);
        var clean = Encode(tokenizer, text, bos, name);
        var corrupted = Encode(tokenizer, prompt.Text(row.CorruptedInput), bos, name);
        if (corrupted.Count != clean.Count) return null;
        int target = Answer(tokenizer, clean, text, prompt.Answer(row.Target), bos, name);
        int distractor = Answer(tokenizer, clean, text, prompt.Answer(!row.Target), bos, name);
        if (target == distractor)
            throw new TaskDataException($"task {name}: with {tokenizer.Name} \"True\" and \"False\" begin with the same token ({tokenizer.TokenText(target)}) after the prompt; the answer cannot be read off one position");
        int last = clean.Count - 1;
        return new TaskExample
        {
            Clean = [.. clean],
            Corrupted = [.. corrupted],
            LossPositions = [last],
            MetricPosition = last,
            Targets = [target],
            Distractors = [distractor],
            Label = row.Target ? 1 : 0,
            Text = text + prompt.Answer(row.Target),
        };
    }

    private static IReadOnlyList<int> Encode(ITokenizer tokenizer, string text, bool bos, string name)
    {
        try { return tokenizer.Encode(text, bos); }
        catch (TokenizerException e) { throw new TaskDataException($"task {name}: {e.Message}", e); }
    }

    private static int Answer(ITokenizer tokenizer, IReadOnlyList<int> promptTokens, string prompt, string answer, bool bos, string name) =>
        PromptEncoding.FirstAnswerToken(tokenizer, promptTokens, prompt, answer, bos)
        ?? throw new TaskDataException($"task {name}: \"{answer.Trim()}\" encodes to no tokens with {tokenizer.Name}");
}
