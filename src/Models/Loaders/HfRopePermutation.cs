using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// The row order of q_proj/k_proj in Hugging Face Llama checkpoints. HF's RoPE rotates the two halves
/// of each head (rotate_half: pairs j and j + headDim/2), while ours, like Meta's and llama2.c's,
/// rotates adjacent pairs (2j, 2j+1). HF's converter reorders the rows of every head with
/// <c>w.view(heads, headDim/2, 2, in).transpose(1, 2).reshape(heads·headDim, in)</c>, so that HF row j
/// is Meta row 2j and HF row headDim/2 + j is Meta row 2j + 1; loading undoes it.
/// </summary>
public static class HfRopePermutation
{
    /// <summary>Rows in HF order → rows in adjacent-pair order (what a loader applies).</summary>
    public static Tensor FromHf(Tensor w, int heads) => Reorder(w, heads, fromHf: true);

    /// <summary>Rows in adjacent-pair order → rows in HF order (what HF's converter applies).</summary>
    public static Tensor ToHf(Tensor w, int heads) => Reorder(w, heads, fromHf: false);

    private static Tensor Reorder(Tensor w, int heads, bool fromHf)
    {
        int rows = w.Shape[0];
        if (heads <= 0 || rows % heads != 0 || rows / heads % 2 != 0)
            throw new ShapeException($"{w.Shape} does not split into {heads} heads of even size");
        int headDim = rows / heads, half = headDim / 2;
        var src = w.ToF32();
        var dst = Tensor.Empty(DType.F32, w.Shape.Dims.ToArray());
        for (int h = 0; h < heads; h++)
        for (int j = 0; j < half; j++)
        for (int p = 0; p < 2; p++)
        {
            int adjacent = h * headDim + 2 * j + p, hf = h * headDim + p * half + j;
            var (from, to) = fromHf ? (hf, adjacent) : (adjacent, hf);
            src.Rows(from, 1).Span.CopyTo(dst.Rows(to, 1).Span);
        }
        return dst;
    }
}
