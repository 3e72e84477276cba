using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private readonly TypedKernel _biasBroadcast;
    private readonly TypedKernel _biasBroadcastBatched;

    public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var (m, k) = transA ? (a.Shape.Cols, a.Shape.Rows) : (a.Shape.Rows, a.Shape.Cols);
        var (kb, n) = transB ? (b.Shape.Cols, b.Shape.Rows) : (b.Shape.Rows, b.Shape.Cols);
        KernelChecks.Require(k == kb && c.Shape.Rows == m && c.Shape.Cols == n,
            $"gemm: op(A) {m}x{k}, op(B) {kb}x{n}, C {c.Shape}");
        var dtype = CommonDType("gemm", a, b, c);
        if (m == 0 || n == 0) return;
        _context.Cublas.Gemm(transA, transB, m, n, k, alpha, a.DeviceAddress, dtype, Math.Max(1, a.Shape.Cols),
            b.DeviceAddress, dtype, Math.Max(1, b.Shape.Cols), beta, c.DeviceAddress, dtype, n);
    }

    /// <summary>
    /// y = x·wᵀ + bias: the bias is first broadcast into y, then cuBLAS adds x·wᵀ onto it (beta = 1), so the
    /// sum is formed in f32 and a bf16 y is rounded once.
    /// </summary>
    public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        int m = x.Shape.Rows, k = x.Shape.Cols, n = w.Shape.Rows;
        KernelChecks.Require(w.Shape.Cols == k && y.Shape.Rows == m && y.Shape.Cols == n && (bias is null || bias.Count == n),
            $"linear: x {x.Shape}, w {w.Shape}, bias {bias?.Shape}, y {y.Shape}");
        var dtype = CommonDType("linear", x, w, bias, y);
        if (m == 0 || n == 0) return;
        if (bias is not null) LaunchElementwise(_biasBroadcast.For(dtype), (long)m * n, bias, y, (long)m * n, n);
        _context.Cublas.Gemm(false, true, m, n, k, 1f, x.DeviceAddress, dtype, Math.Max(1, k),
            w.DeviceAddress, dtype, Math.Max(1, k), bias is null ? 0f : 1f, y.DeviceAddress, dtype, n);
    }

    /// <summary>
    /// B linear layers as <see cref="Linear"/>: every bias row is broadcast into its batch of y in one launch, then
    /// one strided-batched cuBLAS call adds x[b]·w[b]ᵀ onto it (beta = 1).
    /// </summary>
    public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        var g = BatchedProductGeometry.OfLinear(x, w, bias, y);
        var dtype = CommonDType("batched linear", x, w, bias, y);
        if (g.Batch == 0 || g.M == 0 || g.N == 0) return;
        long matrix = (long)g.M * g.N, count = g.Batch * matrix;
        if (bias is not null) LaunchElementwise(_biasBroadcastBatched.For(dtype), count, bias, y, count, matrix, g.N);
        _context.Cublas.GemmStridedBatched(false, true, g.M, g.N, g.K, 1f,
            x.DeviceAddress, dtype, Math.Max(1, g.K), (long)g.M * g.K,
            w.DeviceAddress, dtype, Math.Max(1, g.K), (long)g.N * g.K,
            bias is null ? 0f : 1f, y.DeviceAddress, dtype, g.N, matrix, g.Batch);
    }

    /// <summary>B products as <see cref="Gemm"/> in one strided-batched cuBLAS call.</summary>
    public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        var g = BatchedProductGeometry.OfGemm(a, transA, b, transB, c);
        var dtype = CommonDType("batched gemm", a, b, c);
        if (g.Batch == 0 || g.M == 0 || g.N == 0) return;
        _context.Cublas.GemmStridedBatched(transA, transB, g.M, g.N, g.K, alpha,
            a.DeviceAddress, dtype, Math.Max(1, a.Shape[2]), (long)g.M * g.K,
            b.DeviceAddress, dtype, Math.Max(1, b.Shape[2]), (long)g.K * g.N,
            beta, c.DeviceAddress, dtype, g.N, (long)g.M * g.N, g.Batch);
    }
}
