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
            var full = model.Model.Forward(clean, batch.Length, scope: scope);
            var baseline = pruner.Baseline(corrupted, batch.Length, T, scope: scope);
            var circuit = model.Forward(clean, batch.Length, baseline, Placed(z, backend, scope), Placed(m, backend, scope), scope: scope).Logits;
            if (backend is not null)
            {
                full = backend.Download(full);
                circuit = backend.Download(circuit);
            }
            kl += TaskObjective.Kl(task, batch, full, circuit, null) * TaskObjective.Weight(task, batch, examples);
            metrics.AddBatch(task, batch, full, circuit);
        }
        var result = new Dictionary<string, double>(metrics.Means()) { ["kl"] = kl };
        result["edge_sparsity"] = masks.EdgeSparsity;
        result["edges"] = masks.KeptEdges;
        return result;
    }

    /// <summary>A host mask tensor where the model runs (itself on the host).</summary>
    private static Tensor? Placed(Tensor? host, Kernels.IKernelBackend? backend, ITensorScope? scope)
    {
        if (host is null || backend is null) return host;
        var t = scope!.Empty(host.DType, host.Shape.Dims.ToArray());
        backend.CopyFromHost(host, t);
        return t;
    }
}
