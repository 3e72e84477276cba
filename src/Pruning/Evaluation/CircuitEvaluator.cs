using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>Runs a circuit (fixed masks) against the full model on a set of examples: KL and the task metrics.</summary>
public static class CircuitEvaluator
{
    public static IReadOnlyDictionary<string, double> Evaluate(EdgePruner pruner, CircuitMasks masks,
        IReadOnlyList<TaskExample> examples, int batchSize) => EvaluateEach(pruner, [masks], examples, batchSize)[0];

    /// <summary>
    /// Several circuits on the same batches: each batch's full-model logits and ablation baseline are computed
    /// once and every circuit is run against them, so the circuits' numbers differ only by their masks.
    /// </summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, double>> EvaluateEach(EdgePruner pruner, IReadOnlyList<CircuitMasks> circuits,
        IReadOnlyList<TaskExample> examples, int batchSize)
    {
        var model = pruner.Model;
        var task = pruner.Task;
        var z = circuits.Select(c => c.EdgeTensor()).ToArray();
        var m = circuits.Select(c => pruner.Options.NodeMasks ? NodeTensor(c) : null).ToArray();
        var metrics = circuits.Select(_ => new TaskMetrics()).ToArray();
        // Each batch's KL is a mean over its loss rows; weighted by its share of all rows (as the trainer
        // weights micro-batches), the total is the mean over every row whatever the batch size, so prune's
        // report (its --batch) and eval (its own --batch) give the same number.
        var kl = new double[circuits.Count];
        var backend = model.OnDevice ? model.Backend : null;
        // On the host every batch's tensors come from one arena, given back batch by batch and circuit by circuit:
        // fresh tensors per pass cost more in page faults and zeroing than the passes' own arithmetic.
        var arena = backend is null ? new TensorArena() : null;
        for (int i = 0; i < examples.Count; i += batchSize)
        {
            var batch = examples.Skip(i).Take(batchSize).ToArray();
            var (clean, corrupted, T) = BatchBuilder.Build(batch, task.PadToken);
            arena?.Reset();
            // On a device the runs happen there and only their logits come back to be scored; the baseline lives
            // for the batch, each circuit's pass only for its own run.
            using var scope = backend?.OpenScope();
            // Logits only at the rows the KL and the metrics read (every row under the across-sequence loss).
            var rows = TaskBatches.Rows(task, batch, T);
            Tensor full;
            using (var pass = backend?.OpenScope())
            {
                var logits = arena?.Empty(rows.ReadRows?.Length ?? batch.Length * T, model.Config.EffectiveOutputSize);
                full = BackendCopies.ToHost(model.Backend, model.Model.Forward(clean, batch.Length, scope: pass, readRows: rows.ReadRows, logits: logits));
            }
            var baseline = pruner.Baseline(corrupted, batch.Length, T, arena, scope);
            double weight = TaskObjective.Weight(task, batch, examples);
            for (int c = 0; c < circuits.Count; c++)
            {
                using var pass = backend?.OpenScope();
                var mark = arena?.Mark();
                var zRun = BackendCopies.ToModel(model, z[c], pass);
                var mRun = m[c] is { } nodes ? BackendCopies.ToModel(model, nodes, pass) : null;
                var circuit = BackendCopies.ToHost(model.Backend,
                    model.Forward(clean, batch.Length, baseline, zRun, mRun, arena: arena, scope: pass, readRows: rows.ReadRows).Logits);
                kl[c] += TaskObjective.Kl(task, batch, full, circuit, null) * weight;
                metrics[c].AddBatch(task, batch, full, circuit, rows);
                if (mark is { } taken) arena!.Release(taken);
            }
        }
        return circuits.Select((masks, c) =>
        {
            var result = new Dictionary<string, double>(metrics[c].Means()) { ["kl"] = kl[c] };
            result["edge_sparsity"] = masks.EdgeSparsity;
            result["edges"] = masks.KeptEdges;
            return (IReadOnlyDictionary<string, double>)result;
        }).ToArray();
    }

    private static Tensor NodeTensor(CircuitMasks masks)
    {
        var m = Tensor.Zeros(masks.NodeKept.Length);
        for (int w = 0; w < masks.NodeKept.Length; w++) m.Span[w] = masks.NodeKept[w] ? 1f : 0f;
        return m;
    }
}
