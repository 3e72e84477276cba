namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// One clean/corrupted pair of a task. Both sequences have the same token length (the corruption rules
/// of every task keep lengths equal). Positions index the sequence.
/// </summary>
public sealed record TaskExample
{
    public required int[] Clean { get; init; }
    /// <summary>The corrupted input for interchange ablation (equal length to <see cref="Clean"/>).</summary>
    public required int[] Corrupted { get; init; }
    /// <summary>Positions whose output distributions enter the KL loss.</summary>
    public required int[] LossPositions { get; init; }
    /// <summary>Position whose output the task metric reads (the answer position).</summary>
    public required int MetricPosition { get; init; }
    /// <summary>Correct answer tokens (IOI: the indirect object; GP: the right pronoun; Tracr: the class).</summary>
    public int[] Targets { get; init; } = [];
    /// <summary>Wrong answer tokens the metric contrasts with (IOI: the subject; GP: the other pronoun).</summary>
    public int[] Distractors { get; init; } = [];
    /// <summary>Task-specific integer label (Greater-Than: the start year's two digits YY; Boolean Expressions: 1 for True, 0 for False).</summary>
    public int Label { get; init; } = -1;
    /// <summary>The clean text, for reports (may be empty for token-level tasks).</summary>
    public string Text { get; init; } = "";
}
