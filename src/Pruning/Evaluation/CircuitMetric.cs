using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// The scalar task metric m that faithfulness is measured with, and the differentiable quantity the
/// attribution methods take gradients of. Per task metric:
/// logit difference: logit[target] − logit[distractor] at the answer position (MIB's IOI metric);
/// probability difference: Σ p(y &gt; YY) − Σ p(y &lt; YY) over the two-digit tokens;
/// accuracy (Tracr reverse): logit[target] minus the mean logit, averaged over the loss positions, a
/// continuous stand-in for accuracy that does not saturate;
/// scalar error (Tracr xproportion): −mean |circuit − full| of the scalar output over the loss positions,
/// so the full model scores 0. Its gradient is zero at the full model, so attribution instead takes the
/// gradient of the mean scalar output (the first-order change an edge makes to the output).
/// </summary>
public static class CircuitMetric
{
    /// <summary>Σ over the batch of m(circuit) (mean per example over its positions).</summary>
    /// <param name="full">the full model's logits, [batch, T, outputs] or at <paramref name="rows"/> only.</param>
    /// <param name="circuit">the circuit's logits, shaped as <paramref name="full"/>.</param>
    /// <param name="rows">the rows the logits were computed at; null for [batch, T, outputs].</param>
    public static double Sum(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit, EvaluationRows? rows = null)
    {
        var at = EvaluationRows.Of(full, batch.Count, rows);
        double sum = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            var ex = batch[b];
            ReadOnlySpan<float> Row(Tensor s, int p) => at.Of(s, b, p);
            switch (task.Metric)
            {
                case TaskMetric.LogitDifference:
                {
                    var row = Row(circuit, ex.MetricPosition);
                    sum += row[ex.Targets[0]] - row[ex.Distractors[0]];
                    break;
                }
                case TaskMetric.ProbabilityDifference:
                    sum += TaskMetrics.ProbabilityDifference(Row(circuit, ex.MetricPosition), Columns(task), ex.Label);
                    break;
                case TaskMetric.Accuracy:
                {
                    double s = 0;
                    int n = Math.Min(ex.LossPositions.Length, ex.Targets.Length);
                    for (int i = 0; i < n; i++)
                    {
                        var row = Row(circuit, ex.LossPositions[i]);
                        s += row[ex.Targets[i]] - Mean(row);
                    }
                    sum += s / Math.Max(1, n);
                    break;
                }
                case TaskMetric.ScalarError:
                {
                    double s = 0;
                    foreach (int p in ex.LossPositions) s += Math.Abs(Row(circuit, p)[0] - Row(full, p)[0]);
                    sum -= s / Math.Max(1, ex.LossPositions.Length);
                    break;
                }
            }
        }
        return sum;
    }

    /// <summary>Accumulates d(Σ over the batch of the attribution quantity)/d(circuit logits) into <paramref name="grad"/>.</summary>
    public static void Gradient(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor circuit, Tensor grad)
    {
        int T = circuit.Shape[1], V = circuit.Shape[2];
        var c = circuit.Span; var g = grad.Span;
        for (int b = 0; b < batch.Count; b++)
        {
            var ex = batch[b];
            int Offset(int p) => (b * T + p) * V;
            switch (task.Metric)
            {
                case TaskMetric.LogitDifference:
                    g[Offset(ex.MetricPosition) + ex.Targets[0]] += 1;
                    g[Offset(ex.MetricPosition) + ex.Distractors[0]] -= 1;
                    break;
                case TaskMetric.ProbabilityDifference:
                {
                    var cols = Columns(task);
                    int o = Offset(ex.MetricPosition);
                    var row = c.Slice(o, V);
                    double max = double.NegativeInfinity;
                    foreach (int col in cols) max = Math.Max(max, row[col]);
                    var p = new double[cols.Length];
                    double z = 0;
                    for (int i = 0; i < cols.Length; i++) z += p[i] = Math.Exp(row[cols[i]] - max);
                    double pd = 0;
                    for (int i = 0; i < cols.Length; i++) { p[i] /= z; pd += Math.Sign(i - ex.Label) * p[i]; }
                    for (int i = 0; i < cols.Length; i++) g[o + cols[i]] += (float)(p[i] * (Math.Sign(i - ex.Label) - pd));
                    break;
                }
                case TaskMetric.Accuracy:
                {
                    int n = Math.Min(ex.LossPositions.Length, ex.Targets.Length);
                    float w = 1f / Math.Max(1, n);
                    for (int i = 0; i < n; i++)
                    {
                        int o = Offset(ex.LossPositions[i]);
                        for (int v = 0; v < V; v++) g[o + v] -= w / V;
                        g[o + ex.Targets[i]] += w;
                    }
                    break;
                }
                case TaskMetric.ScalarError:
                {
                    float w = 1f / Math.Max(1, ex.LossPositions.Length);
                    foreach (int p in ex.LossPositions) g[Offset(p)] += w;
                    break;
                }
            }
        }
    }

    private static int[] Columns(TaskDataset task) =>
        task.OutputColumns ?? throw new EdgePruningException($"task {task.Name} measures a probability difference but names no output columns");

    private static double Mean(ReadOnlySpan<float> row)
    {
        double s = 0;
        foreach (float v in row) s += v;
        return s / row.Length;
    }
}
