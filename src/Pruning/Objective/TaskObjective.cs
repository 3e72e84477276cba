using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
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
            : (double)LossRows(part) / LossRows(batch);

    /// <param name="full">[batch, T, outputs] logits of the full model on the clean input.</param>
    /// <param name="circuit">[batch, T, outputs] logits of the masked model.</param>
    /// <param name="dCircuit">gradient of the KL, accumulated into (null: no gradient).</param>
    public static double Kl(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit, Tensor? dCircuit)
    {
        if (task.Loss == TaskLoss.KlAcrossSequence)
            return SequenceKl.Compute(full, circuit, batch.Select(e => e.LossPositions).ToArray(), dCircuit);
        var (rows, columns) = Selection(task, batch, full.Shape[1]);
        var op = new KlDivergenceOp();
        int outputs = full.Shape[2];
        double kl = op.Forward(full.Reshape(-1, outputs), circuit.Reshape(-1, outputs), rows, columns);
        if (dCircuit is not null) op.Backward(1.0, dCircuit.Reshape(-1, outputs));
        return kl;
    }

    /// <summary>
    /// <see cref="Kl"/> where the logits live on <paramref name="backend"/> (a GPU): the KL kernel of its
    /// training kernels writes each loss row's KL into <paramref name="rowKl"/> [<see cref="LossRows"/>] f32 there
    /// and adds <paramref name="gradScale"/>/rows·∂KL/∂circuit into <paramref name="dCircuit"/> (which must hold
    /// zeros when the logits are not f32). Nothing is read back, so the call can be part of a captured step;
    /// the batch's KL is the mean of the rows (<see cref="MeanKl"/>). Logits in another dtype are widened to
    /// f32 in <paramref name="scope"/>. Only the per-position losses run there.
    /// </summary>
    public static void KlOnBackend(IKernelBackend backend, ITensorScope scope, TaskDataset task, IReadOnlyList<TaskExample> batch,
        Tensor full, Tensor circuit, Tensor dCircuit, double gradScale, Tensor rowKl)
    {
        if (task.Loss == TaskLoss.KlAcrossSequence)
            throw new EdgePruningException($"task {task.Name}: the across-sequence KL runs on the host only; prune it on the cpu device");
        var (rows, columns) = Selection(task, batch, full.Shape[1]);
        if (rowKl.Count != rows.Length) throw new ShapeException($"KL rows: {rowKl.Shape} for {rows.Length} loss rows");
        int outputs = full.Shape[2];
        Tensor Wide(Tensor t)
        {
            if (t.DType == DType.F32) return t;
            var w = scope.Empty(DType.F32, t.Shape.Dims.ToArray());
            backend.Kernels.Copy(t, w);
            return w;
        }
        var dWide = Wide(dCircuit);
        backend.Training.KlDivergence(Wide(full).Reshape(-1, outputs), Wide(circuit).Reshape(-1, outputs), rows, columns, rowKl,
            dWide.Reshape(-1, outputs), (float)(gradScale / rows.Length));
        if (!ReferenceEquals(dWide, dCircuit)) backend.Kernels.Copy(dWide, dCircuit);
    }

    /// <summary>The loss rows (KL terms) of a batch under the per-position losses.</summary>
    public static int LossRows(IReadOnlyList<TaskExample> batch) => batch.Sum(e => e.LossPositions.Length);

    /// <summary>The KL of a batch from its rows' KL values (<see cref="KlOnBackend"/>), summed in double.</summary>
    public static double MeanKl(ReadOnlySpan<float> rowKl)
    {
        double sum = 0;
        foreach (float v in rowKl) sum += v;
        return sum / rowKl.Length;
    }

    /// <summary>The logit rows (flattened batch·T) the loss reads, and its restricted columns (empty: every output).</summary>
    private static (int[] Rows, int[] Columns) Selection(TaskDataset task, IReadOnlyList<TaskExample> batch, int T)
    {
        var rows = new List<int>();
        for (int b = 0; b < batch.Count; b++)
            foreach (int p in batch[b].LossPositions) rows.Add(b * T + p);
        var columns = task.Loss == TaskLoss.KlRestricted
            ? task.OutputColumns ?? throw new EdgePruningException($"task {task.Name} restricts the KL but names no output columns")
            : [];
        return (rows.ToArray(), columns.ToArray());
    }
}
