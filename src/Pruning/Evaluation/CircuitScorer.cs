using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// One circuit's KL(full ‖ circuit) and task metric m (see <see cref="CircuitMetric"/>), both means over the examples,
/// and its accuracy (the argmax is the answer, <see cref="TaskMetrics"/>; NaN for a task without one, such as GT's
/// probability difference or Tracr xproportion's scalar, or when not asked for).
/// </summary>
public readonly record struct CircuitScore(double Kl, double Metric, double Accuracy);

/// <summary>
/// Scores circuits given as edge masks (1 kept, 0 ablated; every writer kept) on fixed examples, and
/// knows the two reference points of faithfulness: m of the full model and m of the empty circuit.
/// </summary>
public sealed class CircuitScorer
{
    /// <summary>Scratch of one batch's masked pass on the host (null on a device), given back after each batch.</summary>
    private readonly TensorArena? _arena;

    public CircuitScorer(TaskBatches batches)
    {
        Batches = batches;
        _arena = batches.Pruner.Model.OnDevice ? null : new TensorArena();
        var task = batches.Pruner.Task;
        double full = 0;
        foreach (var b in batches.Batches) full += CircuitMetric.Sum(task, b.Examples, b.Full, b.Full, b.Rows);
        FullMetric = full / batches.Count;
        EmptyMetric = Score(Tensor.Zeros(checked((int)batches.Pruner.Model.EdgeCount))).Metric;
    }

    public TaskBatches Batches { get; }
    public double FullMetric { get; }
    public double EmptyMetric { get; }

    /// <summary>
    /// The circuit's KL and metric; its accuracy only when <paramref name="accuracy"/> is set (NaN otherwise), so that a
    /// search scoring many candidates (ACDC) does not pay for it. One call at a time: the host passes share one arena.
    /// </summary>
    public CircuitScore Score(Tensor edgeMasks, bool accuracy = false)
    {
        var model = Batches.Pruner.Model;
        var task = Batches.Pruner.Task;
        double kl = 0, metric = 0;
        var metrics = accuracy ? new TaskMetrics() : null;
        foreach (var b in Batches.Batches)
        {
            using var scope = model.OnDevice ? model.Backend.OpenScope() : null;
            _arena?.Reset();
            var z = BackendCopies.ToModel(model, edgeMasks, scope);
            var logits = BackendCopies.ToHost(model.Backend,
                model.Forward(b.Clean, b.Size, b.Baseline, z, arena: _arena, scope: scope, readRows: b.Rows.ReadRows).Logits);
            // At the batch's rows (its loss rows first, as the KL reads compact logits), or every row under the across-sequence loss.
            kl += TaskObjective.Kl(task, b.Examples, b.Full, logits, null) * b.Size;
            metric += CircuitMetric.Sum(task, b.Examples, b.Full, logits, b.Rows);
            metrics?.AddBatch(task, b.Examples, b.Full, logits, b.Rows);
        }
        double fraction = metrics is not null && metrics.Means().TryGetValue("accuracy", out var a) ? a : double.NaN;
        return new CircuitScore(kl / Batches.Count, metric / Batches.Count, fraction);
    }

    public CircuitScore Score(bool[] kept, bool accuracy = false) => Score(MaskTensor(kept), accuracy);

    /// <summary>MIB's faithfulness (m(C) − m(∅)) / (m(full) − m(∅)); NaN when the full model and the empty circuit agree.</summary>
    public double Faithfulness(double metric) => FaithfulnessCurve.Faithfulness(metric, FullMetric, EmptyMetric);

    public static Tensor MaskTensor(bool[] kept)
    {
        var t = Tensor.Zeros(kept.Length);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = kept[i] ? 1f : 0f;
        return t;
    }
}
