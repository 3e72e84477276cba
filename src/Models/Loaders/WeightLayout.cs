using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Conversions from stored weight layouts to ours ([out, in], f32): HF GPT-2's Conv1D and haiku keep
/// matrices [in, out], so they are transposed once at load time rather than on every product.
/// </summary>
public static class WeightLayout
{
    /// <summary>An f32 copy of the matrix <paramref name="m"/> [rows, cols] as [cols, rows].</summary>
    public static Tensor Transpose(Tensor m)
    {
        if (m.Shape.Rank != 2) throw new ShapeException($"transpose needs a matrix, got {m.Shape}");
        var src = m.ToF32();
        int rows = src.Shape[0], cols = src.Shape[1];
        var dst = Tensor.Empty(DType.F32, cols, rows);
        var s = src.Span;
        var d = dst.Span;
        const int Tile = 32;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        for (int c0 = 0; c0 < cols; c0 += Tile)
        {
            int r1 = Math.Min(rows, r0 + Tile), c1 = Math.Min(cols, c0 + Tile);
            for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++)
                d[c * rows + r] = s[r * cols + c];
        }
        return dst;
    }

    /// <summary>Views of <paramref name="parts"/> equal slices along the first axis (fused q|k|v).</summary>
    public static Tensor[] SplitRows(Tensor t, int parts)
    {
        int rows = t.Shape[0];
        if (rows % parts != 0) throw new ShapeException($"{t.Shape} does not split into {parts} equal parts along its first axis");
        int n = rows / parts;
        var result = new Tensor[parts];
        for (int i = 0; i < parts; i++) result[i] = t.Rows(i * n, n);
        return result;
    }
}
