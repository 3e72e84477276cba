using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// Sums of the task metrics over batches, for the full model and the circuit side by side:
/// logit difference and accuracy (IOI, GP), probability difference (GT), per-position accuracy (Tracr
/// reverse), scalar error (Tracr xproportion), and exact match (circuit argmax = full-model argmax).
/// </summary>
public sealed class TaskMetrics
{
    private readonly Dictionary<string, (double Sum, long Count)> _sums = new();

    public void Add(string name, double value)
    {
        _sums.TryGetValue(name, out var s);
        _sums[name] = (s.Sum + value, s.Count + 1);
    }

    public IReadOnlyDictionary<string, double> Means() =>
        _sums.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value.Sum / Math.Max(1, kv.Value.Count));

    /// <summary>
    /// Adds the metrics of one batch: logits of both models, [batch, T, outputs], or at <paramref name="rows"/> only
    /// (<see cref="EvaluationRows"/>: the loss and metric positions).
    /// </summary>
    public void AddBatch(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit, EvaluationRows? rows = null)
    {
        var at = EvaluationRows.Of(full, batch.Count, rows);
        for (int b = 0; b < batch.Count; b++)
        {
            var ex = batch[b];
            ReadOnlySpan<float> Row(Tensor s, int p) => at.Of(s, b, p);
            var fm = Row(full, ex.MetricPosition); var cm = Row(circuit, ex.MetricPosition);
            switch (task.Metric)
            {
                case TaskMetric.LogitDifference when ex.Targets.Length > 0 && ex.Distractors.Length > 0:
                    Add("logit_diff", cm[ex.Targets[0]] - cm[ex.Distractors[0]]);
                    Add("logit_diff_full", fm[ex.Targets[0]] - fm[ex.Distractors[0]]);
                    Add("accuracy", ArgMax(cm) == ex.Targets[0] ? 1 : 0);
                    Add("accuracy_full", ArgMax(fm) == ex.Targets[0] ? 1 : 0);
                    break;
                case TaskMetric.ProbabilityDifference when task.OutputColumns is { } cols && ex.Label >= 0:
                    Add("prob_diff", ProbabilityDifference(cm, cols, ex.Label));
                    Add("prob_diff_full", ProbabilityDifference(fm, cols, ex.Label));
                    break;
                case TaskMetric.Accuracy:
                    for (int i = 0; i < ex.LossPositions.Length && i < ex.Targets.Length; i++)
                    {
                        Add("accuracy", ArgMax(Row(circuit, ex.LossPositions[i])) == ex.Targets[i] ? 1 : 0);
                        Add("accuracy_full", ArgMax(Row(full, ex.LossPositions[i])) == ex.Targets[i] ? 1 : 0);
                    }
                    break;
                case TaskMetric.ScalarError:
                    foreach (int p in ex.LossPositions) Add("scalar_error", Math.Abs(Row(circuit, p)[0] - Row(full, p)[0]));
                    break;
            }
            if (task.Metric != TaskMetric.ScalarError)
                foreach (int p in task.Metric == TaskMetric.Accuracy ? ex.LossPositions : [ex.MetricPosition])
                    Add("exact_match", ArgMax(Row(circuit, p)) == ArgMax(Row(full, p)) ? 1 : 0);
        }
    }

    /// <summary>Σ p(y &gt; label) − Σ p(y &lt; label), p re-softmaxed over the columns (column i is the number i).</summary>
    public static double ProbabilityDifference(ReadOnlySpan<float> logits, int[] columns, int label)
    {
        double max = double.NegativeInfinity;
        foreach (int col in columns) max = Math.Max(max, logits[col]);
        double sum = 0, above = 0, below = 0;
        for (int i = 0; i < columns.Length; i++)
        {
            double e = Math.Exp(logits[columns[i]] - max);
            sum += e;
            if (i > label) above += e;
            else if (i < label) below += e;
        }
        return (above - below) / sum;
    }

    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
