using EdgePruning.Autodiff.Ops;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Objective;

/// <summary>KL(full ‖ circuit) of a batch, as the task defines it, and its gradient into the circuit logits.</summary>
public static class TaskObjective
{
    /// <summary>
    /// The share of a batch's KL that a micro-batch carries: its loss rows over the batch's (its sequences
    /// over the batch's for the across-sequence loss, which averages per sequence).
    /// </summary>
    public static double Weight(TaskDataset task, IReadOnlyList<TaskExample> part, IReadOnlyList<TaskExample> batch) =>
        task.Loss == TaskLoss.KlAcrossSequence
            ? (double)part.Count / batch.Count
            : (double)part.Sum(e => e.LossPositions.Length) / batch.Sum(e => e.LossPositions.Length);

    /// <param name="full">[batch, T, outputs] logits of the full model on the clean input.</param>
    /// <param name="circuit">[batch, T, outputs] logits of the masked model.</param>
    /// <param name="dCircuit">gradient of the KL, accumulated into (null: no gradient).</param>
    public static double Kl(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit, Tensor? dCircuit)
    {
        int T = full.Shape[1];
        if (task.Loss == TaskLoss.KlAcrossSequence)
            return SequenceKl.Compute(full, circuit, batch.Select(e => e.LossPositions).ToArray(), dCircuit);
        var rows = new List<int>();
        for (int b = 0; b < batch.Count; b++)
            foreach (int p in batch[b].LossPositions) rows.Add(b * T + p);
        var columns = task.Loss == TaskLoss.KlRestricted
            ? task.OutputColumns ?? throw new EdgePruningException($"task {task.Name} restricts the KL but names no output columns")
            : [];
        var op = new KlDivergenceOp();
        int outputs = full.Shape[2];
        double kl = op.Forward(full.Reshape(-1, outputs), circuit.Reshape(-1, outputs), rows.ToArray(), columns);
        if (dCircuit is not null) op.Backward(1.0, dCircuit.Reshape(-1, outputs));
        return kl;
    }
}
