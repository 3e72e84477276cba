using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y[m,n] = x[m,k]·w[n,k]ᵀ + bias[n] with frozen w and bias, so only x gets a gradient. A head's Q/K/V
/// projection uses rows [h·hd, (h+1)·hd) of w, which is the view <c>w.Rows(h·hd, hd)</c>; a head's
/// share of the output projection uses columns of w, which are not contiguous: take them once with
/// <see cref="ColumnSlice"/> (weights are frozen, so the copy stays valid for the whole run).
/// </summary>
public static class LinearOp
{
    public static void Forward(IKernels kernels, Tensor x, Tensor w, Tensor? bias, Tensor y)
        => kernels.Linear(x, w, bias, y);

    /// <summary>dx[m,k] += dy[m,n]·w[n,k]. dy and dx may carry extra axes (a [B,T,H,hd] view of [m,n]).</summary>
    public static void Backward(IKernels kernels, Tensor dy, Tensor w, Tensor dx)
    {
        int n = w.Shape.Rows, k = w.Shape.Cols;
        OpChecks.Require(n > 0 && k > 0 && dy.Count % n == 0 && dy.Count / n * k == dx.Count,
            $"linear backward: dy {dy.Shape}, w {w.Shape}, dx {dx.Shape}");
        kernels.Gemm(dy.Reshape(-1, n), false, w, false, dx.Reshape(-1, k), 1f, 1f);
    }

    /// <summary>A contiguous copy of columns [start, start+count) of w [n,k]: the weight [n,count] of one input slice.</summary>
    public static Tensor ColumnSlice(Tensor w, int start, int count)
    {
        int n = w.Shape.Rows, k = w.Shape.Cols;
        OpChecks.Require(start >= 0 && count >= 0 && start + count <= k, $"column slice {start}..{start + count} of {w.Shape}");
        var dst = Tensor.Empty(DType.F32, n, count);
        var src = w.Span;
        var d = dst.Span;
        for (int i = 0; i < n; i++) src.Slice(i * k + start, count).CopyTo(d.Slice(i * count, count));
        return dst;
    }
}
