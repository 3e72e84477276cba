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
/// op(B) = B goes to <see cref="PackedGemm"/>, whose register tile broadcasts A and streams rows of B.
/// Aᵀ·Bᵀ transposes A once into scratch and takes the first route.
/// </summary>
internal static unsafe class CpuGemm
{
    /// <summary>C [m,n] (rows <paramref name="ldc"/> apart) = alpha·op(A)·op(B) + beta·C + bias[n], on at most <paramref name="maxThreads"/> threads.</summary>
    public static void Gemm(float* a, int lda, bool transA, float* b, int ldb, bool transB, float* c, int ldc,
        int m, int n, int k, float alpha, float beta, float* bias, int maxThreads)
    {
        if (m == 0 || n == 0) return;
        if (transB)
        {
            if (transA)
            {
                // A is stored [k, m]; make it [m, k] so both operands run along k.
                float* at = ThreadScratch.Operand.Get((long)m * k);
                for (int p = 0; p < k; p++)
                {
                    float* src = a + (long)p * lda;
                    for (int i = 0; i < m; i++) at[(long)i * k + p] = src[i];
                }
                a = at;
                lda = k;
            }
            DotProductGemm.Run(new GemmOperands(a, lda, b, ldb, c, ldc, m, n, k, alpha, beta, bias), maxThreads);
        }
        else
        {
            PackedGemm.Run(new GemmOperands(a, lda, b, ldb, c, ldc, m, n, k, alpha, beta, bias), transA, maxThreads);
        }
    }
}
