using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>A deliberate bug a parity suite must catch.</summary>
public enum KernelFault
{
    /// <summary>LayerNorm adds 1e-2 to every output.</summary>
    LayerNormOffset,
    /// <summary>Attention ignores its causal flag.</summary>
    CausalDropped,
    /// <summary>LayerNorm rounds its f32 output through bf16.</summary>
    LayerNormThroughBf16,
    /// <summary>Softmax throws.</summary>
    SoftmaxThrows,
    /// <summary>LayerNorm takes the variance in one f32 pass as E[x²] − E[x]², which cancels for rows far from zero.</summary>
    LayerNormOnePassVariance,
}

/// <summary>The CPU kernels with one <see cref="KernelFault"/> injected; everything else passes through.</summary>
public sealed class FaultyKernels(IKernels inner, KernelFault fault) : IKernels
{
    public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f) =>
        inner.Gemm(a, transA, b, transB, c, alpha, beta);

    public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y) => inner.Linear(x, w, bias, y);
    public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y) => inner.BatchedLinear(x, w, bias, y);

    public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f) =>
        inner.BatchedGemm(a, transA, b, transB, c, alpha, beta);

    public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        if (fault == KernelFault.LayerNormOnePassVariance)
        {
            OnePassLayerNorm(x, gamma, beta, y, eps);
            return;
        }
        inner.LayerNorm(x, gamma, beta, y, eps);
        if (fault == KernelFault.LayerNormOffset)
        {
            var s = y.Span;
            for (int i = 0; i < s.Length; i++) s[i] += 1e-2f;
        }
        if (fault == KernelFault.LayerNormThroughBf16) y.To(DType.BF16).ToF32().Span.CopyTo(y.Span);
    }

    private static void OnePassLayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        int d = x.Shape.Cols;
        var X = x.Span; var Y = y.Span; var g = gamma.Span;
        for (int r = 0; r < x.Shape.Rows; r++)
        {
            float sum = 0, squares = 0;
            for (int i = 0; i < d; i++)
            {
                float v = X[r * d + i];
                sum += v;
                squares += v * v;
            }
            float mean = sum / d, variance = MathF.Max(0, squares / d - mean * mean), inv = 1 / MathF.Sqrt(variance + eps);
            for (int i = 0; i < d; i++) Y[r * d + i] = (X[r * d + i] - mean) * inv * g[i] + (beta is null ? 0 : beta.Span[i]);
        }
    }

    public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps) => inner.RmsNorm(x, gamma, y, eps);
    public void Softmax(Tensor x)
    {
        if (fault == KernelFault.SoftmaxThrows) throw new NotSupportedException("softmax is broken");
        inner.Softmax(x);
    }
    public void Activate(Activation activation, Tensor x, Tensor y) => inner.Activate(activation, x, y);
    public void SwiGlu(Tensor gate, Tensor up, Tensor y) => inner.SwiGlu(gate, up, y);
    public void Add(Tensor a, Tensor b, Tensor y) => inner.Add(a, b, y);
    public void Copy(Tensor source, Tensor destination) => inner.Copy(source, destination);
    public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y) => inner.Embedding(table, ids, y);
    public void Rope(Tensor x, int startPos, float theta) => inner.Rope(x, startPos, theta);

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal, float scale,
        ReadOnlySpan<bool> keyMask = default) =>
        inner.Attention(q, k, v, output, keyCount, queryStart, causal && fault != KernelFault.CausalDropped, scale, keyMask);
}
