namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Sparsity of sampled masks, s = 1 − Σ z / E, where z lists the valid entries (edges a reader can see)
/// and E is the model's edge count (or node count for node masks).
/// </summary>
public static class SparsityOp
{
    public static double Forward(ReadOnlySpan<float> z, long total)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), "the sparsity of an empty mask set is undefined");
        double sum = 0;
        foreach (var v in z) sum += v;
        return 1.0 - sum / total;
    }

    /// <summary>dz += −ds/E.</summary>
    public static void Backward(double ds, long total, Span<float> dz)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), "the sparsity of an empty mask set is undefined");
        System.Numerics.Tensors.TensorPrimitives.Add(dz, (float)(-ds / total), dz);
    }
}
