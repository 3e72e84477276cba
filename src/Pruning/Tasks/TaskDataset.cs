namespace EdgePruning.Pruning.Tasks;

/// <summary>A task's examples and how to score them.</summary>
public sealed class TaskDataset
{
    public required string Name { get; init; }
    public required IReadOnlyList<TaskExample> Train { get; init; }
    public required IReadOnlyList<TaskExample> Validation { get; init; }
    public required IReadOnlyList<TaskExample> Test { get; init; }
    public TaskLoss Loss { get; init; } = TaskLoss.KlFullVocabulary;
    public TaskMetric Metric { get; init; } = TaskMetric.LogitDifference;
    /// <summary>How an example's per-position KL terms combine (the batch KL is then the mean over examples).</summary>
    public KlReduction Reduction { get; init; } = KlReduction.MeanPerExample;
    /// <summary>Output columns for <see cref="TaskLoss.KlRestricted"/> and the probability difference
    /// (Greater-Than: the token ids of "00".."99", in numeric order).</summary>
    public int[]? OutputColumns { get; init; }
    /// <summary>The ablation the paper uses for this task ("interchange" or "zero").</summary>
    public string DefaultAblation { get; init; } = "interchange";
    /// <summary>Token used to pad sequences of a batch to equal length (after the last real token).</summary>
    public int PadToken { get; init; }
    /// <summary>The paper's hyperparameters for this task where they differ from the GPT-2 defaults (null: those defaults).</summary>
    public Training.PruningOptions? Recipe { get; init; }
    /// <summary>What building the task had to leave out or change, one sentence each (reported with the run's shortfalls).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
