using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// Named edge sets (two circuits, their intersection) run on one task's examples side by side, with the
/// empty circuit beside them for the normalised faithfulness (m(C) − m(∅)) / (m(full) − m(∅)) of the logit
/// difference. This is the paper's cross-prompt test: the few-shot circuit run on instruction prompts, and
/// the shared edges alone.
/// </summary>
public static class CircuitCrossEvaluation
{
    /// <summary>One edge set's metrics on the task: those of <see cref="CircuitEvaluator"/> plus <c>faithfulness</c>.</summary>
    public sealed record Row(string Name, IReadOnlyDictionary<string, double> Metrics);

    public static IReadOnlyList<Row> Run(EdgePruner pruner, IReadOnlyList<(string Name, CircuitMasks Masks)> circuits,
        IReadOnlyList<TaskExample> examples, int batchSize)
    {
        var empty = CircuitMasks.Empty(pruner.Model.Layout);
        var all = circuits.Select(c => c.Masks).Append(empty).ToArray();
        var results = CircuitEvaluator.EvaluateEach(pruner, all, examples, batchSize);
        var emptyMetrics = results[^1];
        var rows = new List<Row>(circuits.Count);
        for (int i = 0; i < circuits.Count; i++)
        {
            var metrics = new Dictionary<string, double>(results[i]);
            if (metrics.TryGetValue("logit_diff", out double ld) && metrics.TryGetValue("logit_diff_full", out double full)
                && emptyMetrics.TryGetValue("logit_diff", out double none))
                metrics["faithfulness"] = FaithfulnessCurve.Faithfulness(ld, full, none);
            rows.Add(new Row(circuits[i].Name, metrics));
        }
        return rows;
    }
}
