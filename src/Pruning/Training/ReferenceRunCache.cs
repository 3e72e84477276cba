using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// What a host step compares its circuit against does not change while the masks train: the full model's logits on
/// each training example's clean input, and under interchange ablation every writer's output on its corrupted input.
/// These two unmasked runs are about half of a host step's forward work, so they are computed once per example and
/// kept, and later micro-batches are assembled from the copies. The cache holds only what the loss can read: the
/// logits at each example's loss positions and the writer outputs at its own positions; a micro-batch padded past an
/// example's length gets zeros there, which no loss row reads (padding is on the right and attention is causal), so
/// the step's KL and mask gradients are the ones the runs themselves give (to rounding: the kernels may group an example's rows
/// differently in another batch).
/// </summary>
internal sealed class ReferenceRunCache
{
    private readonly Dictionary<TaskExample, Entry> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly int _writers, _dim, _outputs;
    /// <summary>The entries of the micro-batch being assembled (kept from step to step).</summary>
    private Entry[] _batch = [];

    /// <param name="writerOutputs">whether the corrupted runs' writer outputs are kept (interchange ablation).</param>
    private ReferenceRunCache(int writers, int dim, int outputs, bool writerOutputs, long capacityBytes)
    {
        (_writers, _dim, _outputs, KeepsWriterOutputs) = (writers, dim, outputs, writerOutputs);
        CapacityBytes = capacityBytes;
    }

    /// <summary>Bytes held once every training example is kept.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes kept when every example of <paramref name="examples"/> is cached.</summary>
    public static long Bytes(IEnumerable<TaskExample> examples, int writers, int dim, int outputs, bool writerOutputs) =>
        examples.Sum(e => ((writerOutputs ? (long)writers * e.Clean.Length * dim : 0) + (long)e.LossPositions.Length * outputs) * sizeof(float));

    /// <summary>A cache for <paramref name="train"/>, or null when keeping all of it would take more than <paramref name="budgetBytes"/>.</summary>
    public static ReferenceRunCache? For(IReadOnlyList<TaskExample> train, int writers, int dim, int outputs, bool writerOutputs, long budgetBytes)
    {
        long bytes = Bytes(train, writers, dim, outputs, writerOutputs);
        return budgetBytes > 0 && bytes <= budgetBytes ? new ReferenceRunCache(writers, dim, outputs, writerOutputs, bytes) : null;
    }

    /// <summary>Whether the writer outputs are kept as well as the logits.</summary>
    public bool KeepsWriterOutputs { get; }

    /// <summary>Examples held.</summary>
    public int Count => _entries.Count;

    /// <summary>Bytes held now.</summary>
    public long HeldBytes { get; private set; }

    /// <summary>
    /// The full model's logits of <paramref name="part"/> as the step reads them (at <paramref name="readRows"/>, or
    /// [batch, T, outputs] with the loss positions filled when null) and, when kept, the writer outputs [writers,
    /// batch·T·d]; both in <paramref name="arena"/>. False when an example of the micro-batch is not held yet.
    /// </summary>
    public bool TryGet(IReadOnlyList<TaskExample> part, int T, int[]? readRows, TensorArena arena, out Tensor full, out Tensor? baseline)
    {
        full = null!;
        baseline = null;
        if (_batch.Length < part.Count) _batch = new Entry[part.Count];
        var entries = _batch.AsSpan(0, part.Count);
        for (int b = 0; b < part.Count; b++)
            if (!_entries.TryGetValue(part[b], out entries[b]!)) return false;

        int V = _outputs;
        if (readRows is not null)
        {
            full = arena.Empty(readRows.Length, V);
            var dst = full.Span;
            int row = 0;
            foreach (var entry in entries)
            {
                entry.Logits.CopyTo(dst.Slice(row * V, entry.Logits.Length));
                row += entry.Logits.Length / V;
            }
        }
        else
        {
            var all = arena.Zeros(part.Count * T, V);
            var dst = all.Span;
            for (int b = 0; b < part.Count; b++)
            {
                var positions = part[b].LossPositions;
                for (int i = 0; i < positions.Length; i++)
                    entries[b].Logits.AsSpan(i * V, V).CopyTo(dst.Slice((b * T + positions[i]) * V, V));
            }
            full = all.Reshape(part.Count, T, V);
        }

        if (!KeepsWriterOutputs) return true;
        int d = _dim;
        var outputs = arena.Empty(_writers, part.Count * T * d);
        for (int w = 0; w < _writers; w++)
        {
            var row = outputs.Row(w).Span;
            for (int b = 0; b < part.Count; b++)
            {
                int kept = part[b].Clean.Length * d;
                var slot = row.Slice(b * T * d, T * d);
                entries[b].Outputs.AsSpan(w * kept, kept).CopyTo(slot);
                slot[kept..].Clear();
            }
        }
        baseline = outputs;
        return true;
    }

    /// <summary>Keeps what the unmasked runs of <paramref name="part"/> gave (the arguments of <see cref="TryGet"/>'s results).</summary>
    public void Store(IReadOnlyList<TaskExample> part, int T, int[]? readRows, Tensor full, Tensor? baseline)
    {
        if (KeepsWriterOutputs && baseline is null) throw new InvalidOperationException("the corrupted runs' writer outputs are missing");
        int V = _outputs, d = _dim;
        var logits = full.Span;
        int row = 0;
        for (int b = 0; b < part.Count; b++)
        {
            var e = part[b];
            var positions = e.LossPositions;
            int first = row;
            row += positions.Length;
            if (_entries.ContainsKey(e)) continue;
            var kept = new float[positions.Length * V];
            for (int i = 0; i < positions.Length; i++)
            {
                int source = readRows is not null ? first + i : b * T + positions[i];
                logits.Slice(source * V, V).CopyTo(kept.AsSpan(i * V, V));
            }

            float[] outputs = [];
            if (KeepsWriterOutputs)
            {
                int len = e.Clean.Length * d;
                outputs = new float[_writers * len];
                for (int w = 0; w < _writers; w++)
                    baseline!.Row(w).Span.Slice(b * T * d, len).CopyTo(outputs.AsSpan(w * len, len));
            }
            _entries[e] = new Entry(outputs, kept);
            HeldBytes += ((long)outputs.Length + kept.Length) * sizeof(float);
        }
    }

    private sealed record Entry(float[] Outputs, float[] Logits);
}
