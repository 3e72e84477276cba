using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Operands of one matrix product C[m,n] = alpha·op(A)·op(B) + beta·C + bias[n], as raw row-major
/// pointers with leading dimensions (pointers are stable: host tensors live in pinned or mapped memory).
/// </summary>
internal readonly unsafe struct GemmOperands(
    float* a, int lda, float* b, int ldb, float* c, int ldc, int m, int n, int k, float alpha, float beta, float* bias)
{
    public readonly float* A = a, B = b, C = c, Bias = bias;
    public readonly int Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;

    /// <summary>
    /// Writes one finished dot product: the first k-block sets C (reading C only when beta ≠ 0, so
    /// an uninitialized C is fine), later k-blocks add to it.
    /// </summary>
    public void Store(int i, int j, float sum, bool firstBlock)
    {
        float* dst = C + (long)i * Ldc + j;
        if (!firstBlock) { *dst += Alpha * sum; return; }
        float v = Alpha * sum;
        if (Beta != 0f) v += Beta * *dst;
        if (Bias != null) v += Bias[j];
        *dst = v;
    }

    /// <summary><see cref="Store"/> of four neighbouring sums C[i, j..j+3], as one vector (the same values bit for bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store4(int i, int j, Vector128<float> sums, bool firstBlock)
    {
        float* dst = C + (long)i * Ldc + j;
        var v = Vector128.Create(Alpha) * sums;
        if (!firstBlock)
        {
            (Vector128.Load(dst) + v).Store(dst);
            return;
        }
        if (Beta != 0f) v += Vector128.Create(Beta) * Vector128.Load(dst);
        if (Bias != null) v += Vector128.Load(Bias + j);
        v.Store(dst);
    }
}

/// <summary>
/// Routes a product to the engine that suits its layout: op(B) = Bᵀ (weights stored [out,in], the
/// Linear layer) goes to <see cref="DotProductGemm"/>, whose operands are both contiguous along k;
/// op(B) = B goes to <see cref="PackedGemm"/>, whose register tile broadcasts A and streams rows of B,
/// unless B is narrower than that tile (a small model's per-head backward products, n = 8): then B is
/// transposed once into scratch, which costs k·n moves against the tile's four-fold wasted columns and
/// scalar stores. Aᵀ·Bᵀ transposes A once into scratch and takes the first route.
/// </summary>
internal static unsafe class CpuGemm
{
    /// <summary>B at most this wide (op(B) = B) is transposed for the dot-product route: narrower than PackedGemm's tile.</summary>
    private const int NarrowB = 31;

    /// <summary>C [m,n] (rows <paramref name="ldc"/> apart) = alpha·op(A)·op(B) + beta·C + bias[n], on at most <paramref name="maxThreads"/> threads.</summary>
    public static void Gemm(float* a, int lda, bool transA, float* b, int ldb, bool transB, float* c, int ldc,
        int m, int n, int k, float alpha, float beta, float* bias, int maxThreads)
    {
        if (m == 0 || n == 0) return;
        if (!transB && n <= NarrowB)
        {
            // B is stored [k, n]; make it [n, k].
            b = Transposed(b, ldb, k, n, ThreadScratch.NarrowOperand);
            ldb = k;
            transB = true;
        }
        if (transB)
        {
            if (transA)
            {
                // A is stored [k, m]; make it [m, k] so both operands run along k.
                a = Transposed(a, lda, k, m, ThreadScratch.Operand);
                lda = k;
            }
            DotProductGemm.Run(new GemmOperands(a, lda, b, ldb, c, ldc, m, n, k, alpha, beta, bias), maxThreads);
        }
        else
        {
            PackedGemm.Run(new GemmOperands(a, lda, b, ldb, c, ldc, m, n, k, alpha, beta, bias), transA, maxThreads);
        }
    }

    /// <summary>The [cols, rows] transpose of <paramref name="src"/> [rows, cols] (rows <paramref name="ld"/> apart), in <paramref name="scratch"/>.</summary>
    private static float* Transposed(float* src, int ld, int rows, int cols, ThreadScratch scratch)
    {
        float* t = scratch.Get((long)rows * cols);
        for (int p = 0; p < rows; p++)
        {
            float* row = src + (long)p * ld;
            for (int i = 0; i < cols; i++) t[(long)i * rows + p] = row[i];
        }
        return t;
    }
}
