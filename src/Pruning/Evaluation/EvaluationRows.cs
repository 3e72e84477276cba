using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// The logit rows an evaluation of a batch reads, and where each lives in logits computed at those rows only
/// ([rows, outputs], <c>readRows</c> of the forward). The order is fixed: first every example's
/// <see cref="TaskExample.LossPositions"/>, example by example (exactly <see cref="Objective.TaskObjective.ReadRows"/>,
/// so the first <see cref="LossRows"/> rows are what the per-position KL reads), then, example by example, its
/// <see cref="TaskExample.MetricPosition"/> where it is not among its loss positions. <see cref="Dense"/> instead
/// describes logits [batch, T, outputs] at every position (the across-sequence loss reads them all).
/// </summary>
public sealed class EvaluationRows
{
    private readonly Dictionary<int, int>? _index;

    private EvaluationRows(int batch, int tokens, int[]? readRows, int lossRows)
    {
        Batch = batch;
        Tokens = tokens;
        ReadRows = readRows;
        LossRows = lossRows;
        if (readRows is null) return;
        _index = new Dictionary<int, int>(readRows.Length);
        for (int i = 0; i < readRows.Length; i++) _index.TryAdd(readRows[i], i);
    }

    /// <summary>The rows a batch's KL and metrics read, in the order above.</summary>
    public static EvaluationRows For(IReadOnlyList<TaskExample> batch, int tokens)
    {
        var rows = new List<int>();
        for (int b = 0; b < batch.Count; b++)
            foreach (int p in batch[b].LossPositions) rows.Add(b * tokens + Check(p, tokens));
        int loss = rows.Count;
        for (int b = 0; b < batch.Count; b++)
            if (Array.IndexOf(batch[b].LossPositions, batch[b].MetricPosition) < 0)
                rows.Add(b * tokens + Check(batch[b].MetricPosition, tokens));
        return new EvaluationRows(batch.Count, tokens, rows.ToArray(), loss);
    }

    /// <summary>Every row of logits [batch, T, outputs].</summary>
    public static EvaluationRows Dense(int batch, int tokens) => new(batch, tokens, null, batch * tokens);

    /// <summary>The rows to pass on to a forward's <c>readRows</c> (token rows b·T + position); null when every row is kept.</summary>
    public int[]? ReadRows { get; }

    /// <summary>How many rows the logits have: the read rows, or batch·T when every row is kept.</summary>
    public int Count => ReadRows?.Length ?? Batch * Tokens;

    /// <summary>The leading rows that are the loss rows (all of them when every row is kept).</summary>
    public int LossRows { get; }

    public int Batch { get; }
    public int Tokens { get; }

    /// <summary>The row of example <paramref name="example"/> at <paramref name="position"/> among the logits' rows.</summary>
    public int Row(int example, int position)
    {
        if ((uint)example >= (uint)Batch || (uint)position >= (uint)Tokens)
            throw new EdgePruningException($"row of example {example} at position {position} is outside a batch of {Batch} sequences of {Tokens} tokens");
        int token = example * Tokens + position;
        if (_index is null) return token;
        return _index.TryGetValue(token, out int row) ? row
            : throw new EdgePruningException($"the evaluation did not keep the logits of example {example} at position {position} (only its loss and metric positions)");
    }

    /// <summary>The row of an example and position as a span of <paramref name="logits"/> ([<see cref="Count"/>, outputs] or [batch, T, outputs]).</summary>
    public ReadOnlySpan<float> Of(Tensor logits, int example, int position)
    {
        int outputs = logits.Shape[-1];
        if (logits.Count != (long)Count * outputs)
            throw new ShapeException($"logits {logits.Shape} are not {Count} rows of {outputs} outputs");
        return logits.Span.Slice(Row(example, position) * outputs, outputs);
    }

    /// <summary>The rows for logits shaped as <paramref name="logits"/>: <see cref="Dense"/> for [batch, T, outputs]; compact logits need their rows named.</summary>
    public static EvaluationRows Of(Tensor logits, int batch, EvaluationRows? rows) =>
        rows ?? (logits.Shape.Rank == 3 ? Dense(batch, logits.Shape[1])
            : throw new ShapeException($"logits {logits.Shape} at some rows only need the rows they were computed at"));

    private static int Check(int position, int tokens) => (uint)position < (uint)tokens ? position
        : throw new EdgePruningException($"position {position} is outside a sequence of {tokens} tokens");
}
