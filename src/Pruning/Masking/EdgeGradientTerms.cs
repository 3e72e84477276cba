using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// The sizes of the terms each edge gradient of a pass sums, for <see cref="EdgeMaskedModel.EdgeGradientTermSizes"/>
/// (host f32 only). The gradient of edge w → r is Σᵢ ∂L/∂x_r[i]·D_w[i] with D_w = m_w·y_w − m_w·ỹ_w, so its terms have
/// the sizes |∂L/∂x_r[i]|·m_w·(|y_w[i]| + |ỹ_w[i]|): a writer whose output nearly equals its baseline has a small D_w
/// but rounding errors the size of y_w, which the sizes of its two terms keep.
/// </summary>
internal sealed class EdgeGradientTerms(IKernels kernels, int writers, int rowLength)
{
    // m_w·(|y_w| + |ỹ_w|) per stack row.
    private readonly Tensor _rows = Tensor.Zeros(writers, rowLength);

    /// <summary>Records writers first.. from their outputs <paramref name="y"/> [count, n·d], baselines and node masks (null: none).</summary>
    public void Write(int first, int count, Tensor y, Tensor? baseline, Tensor? nodeMasks)
    {
        for (int i = 0; i < count; i++)
        {
            var row = _rows.Row(first + i).Span;
            TensorPrimitives.Abs(y.Row(i).Span, row);
            if (baseline is not null)
            {
                var b = baseline.Row(i).Span;
                for (int k = 0; k < row.Length; k++) row[k] += Math.Abs(b[k]);
            }
            if (nodeMasks is not null) TensorPrimitives.Multiply(row, nodeMasks.Span[first + i], row);
        }
    }

    /// <summary>terms[r, w] += Σᵢ |gx[r, i]|·(the term sizes of writer w)[i] over the first <paramref name="visible"/> writers.</summary>
    public void Add(Tensor gx, int visible, Tensor terms)
    {
        var absGx = Tensor.Empty(DType.F32, gx.Shape.Dims.ToArray());
        TensorPrimitives.Abs(gx.Span, absGx.Span);
        kernels.Gemm(absGx, false, _rows.Rows(0, visible), true, terms, 1f, 1f);
    }
}
