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
}
