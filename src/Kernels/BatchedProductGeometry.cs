using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

/// <summary>
/// Validated sizes of one batched matrix product (shared by every backend): <see cref="Batch"/> products of
/// op(A) [M,K] by op(B) [K,N], each operand's batches back to back, so batch b of an operand starts
/// b·(its per-batch element count) elements in.
/// </summary>
public readonly record struct BatchedProductGeometry(int Batch, int M, int N, int K)
{
    /// <summary>2·B·m·n·k, the multiply-add work of the whole call.</summary>
    public double Flops => 2.0 * Batch * M * N * K;

    /// <summary>Sizes of <see cref="IKernels.BatchedLinear"/>: x [B,m,k], w [B,n,k], bias [B,n] (optional), y [B,m,n].</summary>
    public static BatchedProductGeometry OfLinear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        KernelChecks.Require(x.Shape.Rank == 3 && w.Shape.Rank == 3 && y.Shape.Rank == 3 && (bias is null || bias.Shape.Rank == 2),
            $"batched linear: x {x.Shape}, w {w.Shape}, bias {bias?.Shape}, y {y.Shape} must be rank 3 (bias rank 2)");
        var g = new BatchedProductGeometry(x.Shape[0], x.Shape[1], w.Shape[1], x.Shape[2]);
        KernelChecks.Require(w.Shape[0] == g.Batch && w.Shape[2] == g.K
            && y.Shape[0] == g.Batch && y.Shape[1] == g.M && y.Shape[2] == g.N
            && (bias is null || (bias.Shape[0] == g.Batch && bias.Shape[1] == g.N)),
            $"batched linear: x {x.Shape}, w {w.Shape}, bias {bias?.Shape}, y {y.Shape}");
        return g;
    }

    /// <summary>Sizes of <see cref="IKernels.BatchedGemm"/>: a, b and c rank 3 with one batch count, op and shapes per batch as in Gemm.</summary>
    public static BatchedProductGeometry OfGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c)
    {
        KernelChecks.Require(a.Shape.Rank == 3 && b.Shape.Rank == 3 && c.Shape.Rank == 3,
            $"batched gemm: a {a.Shape}, b {b.Shape}, c {c.Shape} must be rank 3");
        var (m, k) = transA ? (a.Shape[2], a.Shape[1]) : (a.Shape[1], a.Shape[2]);
        var (kb, n) = transB ? (b.Shape[2], b.Shape[1]) : (b.Shape[1], b.Shape[2]);
        int batch = a.Shape[0];
        KernelChecks.Require(b.Shape[0] == batch && c.Shape[0] == batch && k == kb && c.Shape[1] == m && c.Shape[2] == n,
            $"batched gemm: {batch}×op(A) {m}x{k}, {b.Shape[0]}×op(B) {kb}x{n}, C {c.Shape}");
        return new BatchedProductGeometry(batch, m, n, k);
    }
}
