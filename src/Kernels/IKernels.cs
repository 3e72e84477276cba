using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

/// <summary>Activation functions of the MLP families we support.</summary>
public enum Activation
{
    /// <summary>GELU with the exact erf form (minGPT, PyTorch's default nn.GELU).</summary>
    GeluErf,
    /// <summary>GELU with the tanh approximation (Hugging Face GPT-2's "gelu_new").</summary>
    GeluTanh,
    Relu,
    Silu,
}

/// <summary>
/// Every primitive the models use. Tensors are contiguous and row-major; a tensor of rank > 2 is read as a
/// matrix of <see cref="Shape.Rows"/> × <see cref="Shape.Cols"/> unless a method says otherwise.
/// Implementations: <c>ReferenceKernels</c> (scalar, the oracle) and <c>CpuKernels</c> (SIMD, all cores)
/// take host tensors with f32 elements; <c>CudaKernels</c> takes device tensors with f32 or bf16 elements
/// (accumulating in f32).
/// </summary>
public interface IKernels
{
    /// <summary>
    /// General matrix product C = alpha·op(A)·op(B) + beta·C, with op(X) = Xᵀ when the flag is set.
    /// A is [m,k] (or [k,m] when transposed), B is [k,n] (or [n,k] when transposed), C is [m,n].
    /// </summary>
    void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f);

    /// <summary>Linear layer y[m,n] = x[m,k]·w[n,k]ᵀ + bias[n] (weights stored [out,in]).</summary>
    void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y);

    /// <summary>
    /// B linear layers at once: y[b] = x[b]·w[b]ᵀ + bias[b] for b &lt; B, with x [B,m,k], w [B,n,k], bias [B,n]
    /// (optional), y [B,m,n]; every tensor contiguous, its batches back to back. Dtype rules as <see cref="Linear"/>.
    /// </summary>
    void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y);

    /// <summary>
    /// B matrix products at once: c[i] = alpha·op(a[i])·op(b[i]) + beta·c[i] for i &lt; B, with a, b and c rank 3
    /// [B, rows, cols] and contiguous; op and shapes per batch as <see cref="Gemm"/>.
    /// </summary>
    void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f);

    /// <summary>y = (x − mean)/sqrt(var + eps)·gamma + beta, per row.</summary>
    void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps);

    /// <summary>y = x / sqrt(mean(x²) + eps)·gamma, per row.</summary>
    void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps);

    /// <summary>In-place softmax over the last axis.</summary>
    void Softmax(Tensor x);

    /// <summary>y = act(x), elementwise (x and y may be the same tensor).</summary>
    void Activate(Activation activation, Tensor x, Tensor y);

    /// <summary>y = silu(gate)·up, elementwise (y may alias either input).</summary>
    void SwiGlu(Tensor gate, Tensor up, Tensor y);

    /// <summary>y = a + b, elementwise (y may alias either input).</summary>
    void Add(Tensor a, Tensor b, Tensor y);

    /// <summary>
    /// destination = source element by element, converting between f32, bf16 and f16 when the dtypes differ
    /// (round to nearest even); equal element counts, any shapes. Both tensors live where this backend works.
    /// </summary>
    void Copy(Tensor source, Tensor destination);

    /// <summary>y[r,:] = table[ids[r],:].</summary>
    void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y);

    /// <summary>
    /// Rotary position embedding in place on x [batch, tokens, heads, headDim], rotating adjacent pairs
    /// (2i, 2i+1) by angle pos·theta^(−2i/headDim), with pos = startPos + token index.
    /// </summary>
    void Rope(Tensor x, int startPos, float theta);

    /// <summary>
    /// Multi-head attention with grouped keys/values. q [B,T,H,dk]; k [B,Smax,KV,dk]; v [B,Smax,KV,dv];
    /// out [B,T,H,dv]. Only the first <paramref name="keyCount"/> key positions are used. Query head h
    /// reads KV head h / (H/KV). With <paramref name="causal"/>, query t (at position queryStart+t) sees
    /// keys 0..queryStart+t. <paramref name="keyMask"/> [B,Smax] (optional) hides keys where it is false.
    /// </summary>
    void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default);
}
