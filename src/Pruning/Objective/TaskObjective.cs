using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Objective;

/// <summary>KL(full ‖ circuit) of a batch, as the task defines it, and its gradient into the circuit logits.</summary>
public static class TaskObjective
{
    /// <summary>The KL ops of this thread's last <see cref="Kl"/>, one per group, used again so that their gradient buffers are.</summary>
    [ThreadStatic] private static List<KlDivergenceOp>? t_ops;

    /// <summary>
    /// The share of a batch's KL that a micro-batch carries: its sequences over the batch's (every loss is a
    /// mean over examples; <see cref="KlReduction"/> says how an example's positions combine).
    /// </summary>
    public static double Weight(TaskDataset task, IReadOnlyList<TaskExample> part, IReadOnlyList<TaskExample> batch) =>
        (double)part.Count / batch.Count;

    /// <param name="full">[batch, T, outputs] logits of the full model on the clean input, or [rows, outputs] at the
    /// batch's <see cref="ReadRows"/> only (per-position losses); compact logits may go on past those rows
    /// (an evaluation's metric rows, <see cref="Evaluation.EvaluationRows"/>), which the KL does not read.</param>
    /// <param name="circuit">the masked model's logits, shaped as <paramref name="full"/>.</param>
    /// <param name="dCircuit">gradient of the KL, accumulated into (null: no gradient).</param>
    public static double Kl(TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit, Tensor? dCircuit)
    {
        if (task.Loss == TaskLoss.KlAcrossSequence)
            return SequenceKl.Compute(full, circuit, batch.Select(e => e.LossPositions).ToArray(), dCircuit);
        int outputs = full.Shape[-1];
        var columns = Columns(task);
        double kl = 0;
        var ops = t_ops ??= [];
        int group = 0;
        foreach (var (rows, weight) in Groups(task, batch, RowsPerSequence(full)))
        {
            if (ops.Count == group) ops.Add(new KlDivergenceOp());
            var op = ops[group++];
            kl += weight * op.Forward(full.Reshape(-1, outputs), circuit.Reshape(-1, outputs), rows, columns);
            if (dCircuit is not null) op.Backward(weight, dCircuit.Reshape(-1, outputs));
        }
        return kl;
    }

    /// <summary>
    /// <see cref="Kl"/> where the logits live on <paramref name="backend"/> (a GPU): the KL kernel of its
    /// training kernels writes each loss row's KL into <paramref name="rowKl"/> [<see cref="LossRows"/>] f32 there
    /// and adds <paramref name="gradScale"/>·∂KL/∂circuit into <paramref name="dCircuit"/> (which must hold
    /// zeros when the logits are not f32). Nothing is read back, so the call can be part of a captured step;
    /// the batch's KL comes from the rows with <see cref="BatchKl"/>. Logits in another dtype are widened to
    /// f32 in <paramref name="scope"/>. The across-sequence loss writes one value per sequence instead of per row.
    /// </summary>
    public static void KlOnBackend(IKernelBackend backend, ITensorScope scope, TaskDataset task, IReadOnlyList<TaskExample> batch,
        Tensor full, Tensor circuit, Tensor dCircuit, double gradScale, Tensor rowKl)
    {
        int rowCount = LossRows(task, batch);
        if (rowKl.Count != rowCount) throw new ShapeException($"KL rows: {rowKl.Shape} for {rowCount} loss rows");
        int outputs = full.Shape[-1];
        Tensor Wide(Tensor t)
        {
            if (t.DType == DType.F32) return t;
            var w = scope.Empty(DType.F32, t.Shape.Dims.ToArray());
            backend.Kernels.Copy(t, w);
            return w;
        }
        var dWide = Wide(dCircuit);
        var fullWide = Wide(full).Reshape(-1, outputs);
        var circuitWide = Wide(circuit).Reshape(-1, outputs);
        if (task.Loss == TaskLoss.KlAcrossSequence)
        {
            // As SequenceKl: summed over each sequence's positions, averaged over the sequences.
            var (offsets, sequenceRows) = SequenceRows(batch, RowsPerSequence(full) ?? throw new ShapeException("the across-sequence KL reads [batch, T, outputs] logits"));
            backend.Training.SequenceKl(fullWide, circuitWide, offsets, sequenceRows, rowKl, dWide.Reshape(-1, outputs), (float)(gradScale / batch.Count));
        }
        else
        {
            PerRowKl(backend, task, batch, fullWide, circuitWide, dWide.Reshape(-1, outputs), gradScale, rowKl, RowsPerSequence(full));
        }
        if (!ReferenceEquals(dWide, dCircuit)) backend.Kernels.Copy(dWide, dCircuit);
    }

    private static void PerRowKl(IKernelBackend backend, TaskDataset task, IReadOnlyList<TaskExample> batch, Tensor full, Tensor circuit,
        Tensor dCircuit, double gradScale, Tensor rowKl, int? T)
    {
        var columns = Columns(task);
        int first = 0;
        foreach (var (rows, weight) in Groups(task, batch, T))
        {
            backend.Training.KlDivergence(full, circuit, rows, columns, rowKl.Rows(first, rows.Length), dCircuit, (float)(gradScale * weight / rows.Length));
            first += rows.Length;
        }
    }

    /// <summary>Each sequence's loss rows (b·T + position), flattened, with the offsets where each sequence's begin (and one past the last).</summary>
    private static (int[] Offsets, int[] Rows) SequenceRows(IReadOnlyList<TaskExample> batch, int T)
    {
        var offsets = new int[batch.Count + 1];
        var rows = new List<int>();
        for (int b = 0; b < batch.Count; b++)
        {
            foreach (int p in batch[b].LossPositions) rows.Add(b * T + p);
            offsets[b + 1] = rows.Count;
        }
        return (offsets, rows.ToArray());
    }

    /// <summary>
    /// The token rows (b·T + position) the per-position losses read, example by example: the rows at which the
    /// forward need compute logits (<c>readRows</c>); the KL then reads logits [rows, outputs] in this order.
    /// </summary>
    public static int[] ReadRows(IReadOnlyList<TaskExample> batch, int T)
    {
        var rows = new List<int>();
        for (int b = 0; b < batch.Count; b++)
            foreach (int p in batch[b].LossPositions) rows.Add(b * T + p);
        return rows.ToArray();
    }

    /// <summary>T of [batch, T, outputs] logits; null for logits at the <see cref="ReadRows"/> only.</summary>
    private static int? RowsPerSequence(Tensor logits) => logits.Shape.Rank == 3 ? logits.Shape[1] : null;

    /// <summary>The KL values <see cref="KlOnBackend"/> writes for a batch: one per loss row, or one per sequence under the across-sequence loss.</summary>
    public static int LossRows(TaskDataset task, IReadOnlyList<TaskExample> batch) =>
        task.Loss == TaskLoss.KlAcrossSequence ? batch.Count : batch.Sum(e => e.LossPositions.Length);

    /// <summary>The KL of a batch from its rows' KL values in <see cref="KlOnBackend"/>'s order, summed in double.</summary>
    public static double BatchKl(TaskDataset task, IReadOnlyList<TaskExample> batch, ReadOnlySpan<float> rowKl)
    {
        double kl = 0;
        if (task.Loss == TaskLoss.KlAcrossSequence)
        {
            foreach (float v in rowKl) kl += v;
            return kl / batch.Count;
        }
        int first = 0;
        foreach (var (rows, weight) in Groups(task, batch, T: null)) // only the groups' sizes and weights are read
        {
            double sum = 0;
            foreach (float v in rowKl.Slice(first, rows.Length)) sum += v;
            kl += weight * sum / rows.Length;
            first += rows.Length;
        }
        return kl;
    }

    /// <summary>
    /// The logit rows the loss reads (b·T + position; with T null, indices into <see cref="ReadRows"/>), grouped by examples with the same number of loss
    /// positions, each group with the weight of its mean row KL in the batch's KL: its share of the examples
    /// (times its positions per example when the task sums them, <see cref="KlReduction.SumPerExample"/>).
    /// </summary>
    internal static (int[] Rows, double Weight)[] Groups(TaskDataset task, IReadOnlyList<TaskExample> batch, int? T)
    {
        var groups = new List<(int Positions, List<int> Rows, int Examples)>();
        int compact = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            int k = batch[b].LossPositions.Length;
            int g = groups.FindIndex(x => x.Positions == k);
            if (g < 0) { groups.Add((k, [], 0)); g = groups.Count - 1; }
            foreach (int p in batch[b].LossPositions) groups[g].Rows.Add(T is { } t ? b * t + p : compact++);
            groups[g] = groups[g] with { Examples = groups[g].Examples + 1 };
        }
        return groups.Select(g => (g.Rows.ToArray(),
            (double)g.Examples / batch.Count * (task.Reduction == KlReduction.SumPerExample ? g.Positions : 1))).ToArray();
    }

    private static int[] Columns(TaskDataset task) => task.Loss == TaskLoss.KlRestricted
        ? task.OutputColumns ?? throw new EdgePruningException($"task {task.Name} restricts the KL but names no output columns")
        : [];
}
