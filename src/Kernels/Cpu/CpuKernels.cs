using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The fast CPU backend: the same semantics as <see cref="Reference.ReferenceKernels"/> (which its
/// tests compare against), with f32 SIMD (Vector512; tuned for AVX-512) and all cores. Each primitive
/// lives in its own file of this folder; this class validates shapes and hands raw pointers over.
/// Calls from several threads at once are safe: only one call at a time uses the worker pool, the
/// others run on their own thread.
/// </summary>
public sealed unsafe class CpuKernels : IKernels
{
    /// <summary>Every core of the machine.</summary>
    public static readonly CpuKernels Instance = new(Environment.ProcessorCount);

    /// <param name="maxThreads">Most threads one call may use (1 = the calling thread only).</param>
    public CpuKernels(int maxThreads)
    {
        if (maxThreads < 1) throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "at least one thread");
        MaxThreads = maxThreads;
    }

    public int MaxThreads { get; }

    public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var (m, k) = transA ? (a.Shape.Cols, a.Shape.Rows) : (a.Shape.Rows, a.Shape.Cols);
        var (kb, n) = transB ? (b.Shape.Cols, b.Shape.Rows) : (b.Shape.Rows, b.Shape.Cols);
        KernelChecks.Require(k == kb && c.Shape.Rows == m && c.Shape.Cols == n,
            $"gemm: op(A) {m}x{k}, op(B) {kb}x{n}, C {c.Shape}");
        CpuGemm.Gemm(F32(a), a.Shape.Cols, transA, F32(b), b.Shape.Cols, transB, F32(c), n, m, n, k, alpha, beta, null, MaxThreads);
        Alive(a, b, c);
    }

    public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        int m = x.Shape.Rows, k = x.Shape.Cols, n = w.Shape.Rows;
        KernelChecks.Require(w.Shape.Cols == k && y.Shape.Rows == m && y.Shape.Cols == n && (bias is null || bias.Count == n),
            $"linear: x {x.Shape}, w {w.Shape}, bias {bias?.Shape}, y {y.Shape}");
        CpuGemm.Gemm(F32(x), k, false, F32(w), k, true, F32(y), n, m, n, k, 1f, 0f, bias is null ? null : F32(bias), MaxThreads);
        Alive(x, w, y, bias);
    }

    /// <summary>
    /// One <see cref="CpuGemm.Gemm"/> per batch, each on all cores: the same call <see cref="Linear"/> makes, so
    /// every batch's result is bit-identical to a Linear call on its views.
    /// </summary>
    public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        var g = BatchedProductGeometry.OfLinear(x, w, bias, y);
        float* px = F32(x), pw = F32(w), py = F32(y), pb = bias is null ? null : F32(bias);
        long xStride = (long)g.M * g.K, wStride = (long)g.N * g.K, yStride = (long)g.M * g.N;
        for (int i = 0; i < g.Batch; i++)
            CpuGemm.Gemm(px + i * xStride, g.K, false, pw + i * wStride, g.K, true, py + i * yStride, g.N, g.M, g.N, g.K,
                1f, 0f, pb is null ? null : pb + (long)i * g.N, MaxThreads);
        Alive(x, w, y, bias);
    }

    /// <summary>One <see cref="CpuGemm.Gemm"/> per batch, each on all cores: bit-identical to a <see cref="Gemm"/> call per batch.</summary>
    public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var g = BatchedProductGeometry.OfGemm(a, transA, b, transB, c);
        float* pa = F32(a), pb = F32(b), pc = F32(c);
        long aStride = (long)g.M * g.K, bStride = (long)g.K * g.N, cStride = (long)g.M * g.N;
        for (int i = 0; i < g.Batch; i++)
            CpuGemm.Gemm(pa + i * aStride, a.Shape[2], transA, pb + i * bStride, b.Shape[2], transB, pc + i * cStride, g.N,
                g.M, g.N, g.K, alpha, beta, null, MaxThreads);
        Alive(a, b, c);
    }

    public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count && (beta is null || beta.Count == d),
            $"layernorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        CpuNorms.LayerNorm(F32(x), F32(gamma), beta is null ? null : F32(beta), F32(y), rows, d, eps, MaxThreads);
        Alive(x, gamma, y, beta);
    }

    public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count, $"rmsnorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        CpuNorms.RmsNorm(F32(x), F32(gamma), F32(y), rows, d, eps, MaxThreads);
        Alive(x, gamma, y);
    }

    public void Softmax(Tensor x)
    {
        CpuSoftmax.Rows(F32(x), x.Shape.Rows, x.Shape.Cols, MaxThreads);
        Alive(x);
    }

    public void Activate(Activation activation, Tensor x, Tensor y)
    {
        KernelChecks.Require(x.Count == y.Count, $"activation: x {x.Shape}, y {y.Shape}");
        float* px = F32(x), py = F32(y);
        long n = x.Count;
        switch (activation)
        {
            case Activation.GeluErf: CpuElementwise.Unary<CpuActivations.GeluErf>(px, py, n, MaxThreads); break;
            case Activation.GeluTanh: CpuElementwise.Unary<CpuActivations.GeluTanh>(px, py, n, MaxThreads); break;
            case Activation.Relu: CpuElementwise.Unary<CpuActivations.Relu>(px, py, n, MaxThreads); break;
            case Activation.Silu: CpuElementwise.Unary<CpuActivations.Silu>(px, py, n, MaxThreads); break;
            default: throw new ArgumentOutOfRangeException(nameof(activation));
        }
        Alive(x, y);
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y)
    {
        KernelChecks.Require(gate.Count == up.Count && up.Count == y.Count, $"swiglu: gate {gate.Shape}, up {up.Shape}, y {y.Shape}");
        CpuElementwise.Binary<CpuActivations.SwiGlu>(F32(gate), F32(up), F32(y), y.Count, MaxThreads);
        Alive(gate, up, y);
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        KernelChecks.Require(a.Count == b.Count && b.Count == y.Count, $"add: a {a.Shape}, b {b.Shape}, y {y.Shape}");
        CpuElementwise.Binary<AddOperator>(F32(a), F32(b), F32(y), y.Count, MaxThreads);
        Alive(a, b, y);
    }

    public void Copy(Tensor source, Tensor destination) => HostCopy.Copy(source, destination);

    public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y)
    {
        int d = table.Shape.Cols, vocab = table.Shape.Rows;
        KernelChecks.Require(y.Count == (long)ids.Length * d, $"embedding: {ids.Length} ids, table {table.Shape}, y {y.Shape}");
        foreach (int id in ids)
            if ((uint)id >= (uint)vocab) throw new ShapeException($"token id {id} is outside the vocabulary of {vocab}");
        float* t = F32(table), dst = F32(y);
        long rowBytes = (long)d * sizeof(float);
        for (int r = 0; r < ids.Length; r++)
            Buffer.MemoryCopy(t + (long)ids[r] * d, dst + (long)r * d, rowBytes, rowBytes);
    }

    public void Rope(Tensor x, int startPos, float theta)
    {
        KernelChecks.Require(x.Shape.Rank == 4 && x.Shape[3] % 2 == 0 && startPos >= 0,
            $"rope: x must be [B,T,H,even headDim] at a position ≥ 0, got {x.Shape} at {startPos}");
        CpuRope.Apply(F32(x), x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], startPos, theta, MaxThreads);
        Alive(x);
    }

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, output, keyCount, keyMask);
        fixed (bool* mask = keyMask)
            CpuAttention.Run(F32(q), F32(k), F32(v), F32(output), g, keyCount, queryStart, causal, scale,
                keyMask.IsEmpty ? null : mask, MaxThreads);
        Alive(q, k, v, output);
    }

    /// <summary>
    /// Throws a ShapeException when <paramref name="ok"/> is false. The message is an interpolated-string
    /// handler, formatted only on failure, so a valid call allocates nothing.
    /// </summary>

    /// <summary>
    /// Keeps the tensors (and so their pinned storage) reachable until the kernel has returned. Once its
    /// raw pointers are taken, optimized code treats an argument as dead: a tensor that only this call
    /// refers to could be collected while pool workers still read it, and its memory freed or reused.
    /// </summary>
    private static void Alive(Tensor a, Tensor? b = null, Tensor? c = null, Tensor? d = null)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
        GC.KeepAlive(d);
    }

    /// <summary>The host tensor's first element; any dtype other than f32 is an error.</summary>
    internal static float* F32(Tensor t)
    {
        if (t.DType != DType.F32)
            throw new ShapeException($"tensor {t.Shape} holds {t.DType.Name()}; the CPU kernels compute in f32");
        return (float*)t.Pointer;
    }
}
