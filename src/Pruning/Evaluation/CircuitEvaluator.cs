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
        IReadOnlyList<TaskExample> examples, int batchSize)
    {
        var model = pruner.Model;
        var task = pruner.Task;
        var z = masks.EdgeTensor();
        Tensor? m = null;
        if (pruner.Options.NodeMasks)
        {
            m = Tensor.Zeros(masks.NodeKept.Length);
            for (int w = 0; w < masks.NodeKept.Length; w++) m.Span[w] = masks.NodeKept[w] ? 1f : 0f;
        }
        var metrics = new TaskMetrics();
        // Each batch's KL is a mean over its loss rows; weighted by its share of all rows (as the trainer
        // weights micro-batches), the total is the mean over every row whatever the batch size, so prune's
        // report (its --batch) and eval (its own --batch) give the same number.
        double kl = 0;
        var backend = model.OnDevice ? model.Backend : null;
        for (int i = 0; i < examples.Count; i += batchSize)
        {
            var batch = examples.Skip(i).Take(batchSize).ToArray();
            var (clean, corrupted, T) = BatchBuilder.Build(batch, task.PadToken);
            // On a device both runs happen there and only their logits come back to be scored.
            using var scope = backend?.OpenScope();
            var full = BackendCopies.ToHost(model.Backend, model.Model.Forward(clean, batch.Length, scope: scope));
            var baseline = pruner.Baseline(corrupted, batch.Length, T, scope: scope);
            var zRun = BackendCopies.ToModel(model, z, scope);
            var mRun = m is null ? null : BackendCopies.ToModel(model, m, scope);
            var circuit = BackendCopies.ToHost(model.Backend, model.Forward(clean, batch.Length, baseline, zRun, mRun, scope: scope).Logits);
            kl += TaskObjective.Kl(task, batch, full, circuit, null) * TaskObjective.Weight(task, batch, examples);
            metrics.AddBatch(task, batch, full, circuit);
        }
        var result = new Dictionary<string, double>(metrics.Means()) { ["kl"] = kl };
        result["edge_sparsity"] = masks.EdgeSparsity;
        result["edges"] = masks.KeptEdges;
        return result;
    }

}
