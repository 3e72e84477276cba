using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Training;

/// <summary>Shape rules of the KL objective, shared by every implementation.</summary>
internal static class KlShape
{
    /// <returns>The vocabulary size V (logits are [rows, V]).</returns>
    public static int Check(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit)
    {
        int V = circuit.Shape.Cols, total = circuit.Shape.Rows;
        KernelChecks.Require(full.Shape.Cols == V && full.Shape.Rows == total && dCircuit.Count == circuit.Count
            && rows.Length > 0 && rowKl.Count >= rows.Length, $"kl: full {full.Shape}, circuit {circuit.Shape}, grad {dCircuit.Shape}, {rows.Length} rows, rowKl {rowKl.Shape}");
        foreach (int r in rows) if ((uint)r >= (uint)total) throw new ShapeException($"kl: row {r} is outside {total} rows");
        foreach (int c in columns) if ((uint)c >= (uint)V) throw new ShapeException($"kl: column {c} is outside {V} columns");
        return V;
    }

    /// <returns>The number of sequences (logits are [rows, outputs]; column 0 is read).</returns>
    public static int CheckSequences(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit)
    {
        int sequences = offsets.Length - 1, total = circuit.Shape.Rows;
        KernelChecks.Require(sequences > 0 && full.Shape.Cols == circuit.Shape.Cols && full.Shape.Rows == total && dCircuit.Count == circuit.Count
            && seqKl.Count >= sequences && offsets[0] == 0 && offsets[sequences] == rows.Length,
            $"sequence kl: full {full.Shape}, circuit {circuit.Shape}, grad {dCircuit.Shape}, {offsets.Length} offsets, {rows.Length} rows, seqKl {seqKl.Shape}");
        for (int b = 0; b < sequences; b++)
            if (offsets[b + 1] <= offsets[b]) throw new ShapeException($"sequence kl: sequence {b} has no loss rows (offsets {offsets[b]}..{offsets[b + 1]})");
        foreach (int r in rows) if ((uint)r >= (uint)total) throw new ShapeException($"sequence kl: row {r} is outside {total} rows");
        return sequences;
    }
}
