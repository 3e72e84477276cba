namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// Sparsity of sampled masks, s = 1 − Σ z / E, where z lists the valid entries (edges a reader can see)
/// and E is the model's edge count (or node count for node masks).
/// </summary>
public static class SparsityOp
{
    public static double Forward(ReadOnlySpan<float> z, long total) => FromSum(Sum(z), total);

    /// <summary>Σ z in double, in order.</summary>
    public static double Sum(ReadOnlySpan<float> z)
    {
        double sum = 0;
        foreach (var v in z) sum += v;
        return sum;
    }

    /// <summary>s = 1 − Σ z / E from Σ z (summed wherever the masks are).</summary>
    public static double FromSum(double sum, long total)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), "the sparsity of an empty mask set is undefined");
        return 1.0 - sum / total;
    }

    /// <summary>dz += −ds/E.</summary>
    public static void Backward(double ds, long total, Span<float> dz) => System.Numerics.Tensors.TensorPrimitives.Add(dz, Shift(ds, total), dz);

    /// <summary>−ds/E in f32: what the sparsity term adds to every mask's ∂loss/∂z.</summary>
    public static float Shift(double ds, long total)
    {
        if (total <= 0) throw new ArgumentOutOfRangeException(nameof(total), "the sparsity of an empty mask set is undefined");
        return (float)(-ds / total);
    }
}
