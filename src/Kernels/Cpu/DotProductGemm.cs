using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// C = alpha·A·Bᵀ + beta·C (+ bias) with A [m,k] and B [n,k] both read contiguously along k: the
/// Linear layer with weights stored [out,in]. No packing: a 4×4 block of dot products keeps 16 vector
/// accumulators and loads 8 vectors per 16 FMAs. Work is split over blocks of rows of A and of B.
/// With m ≤ 4 (token-by-token decoding) this is a matrix-vector product, split over the rows of B and
/// bound by the bandwidth at which B streams from memory: leftover rows of A take four rows of B at a time,
/// each row of A against the same four while they sit in L1, with one reduction for the four sums.
/// </summary>
internal static unsafe class DotProductGemm
{
    /// <summary>Rows of A per task when m is large.</summary>
    private const int RowBlock = 64;
    /// <summary>Rows of B per task when m is large: with RowBlock, both blocks of one k-slice fit in L2.</summary>
    private const int ColBlock = 64;
    /// <summary>Longest k-slice: four rows of A (32 KiB) then stay in L1 while rows of B stream by.</summary>
    private const int DepthBlock = 2048;

    [ThreadStatic] private static Job? t_job;

    public static void Run(in GemmOperands g, int maxThreads)
    {
        var job = t_job ??= new Job();
        job.G = g;
        if (g.M <= 4)
        {
            // Matrix-vector: one block of A rows, enough B blocks to keep every core busy.
            job.RowsPerTask = g.M;
            int perTask = (g.N + maxThreads * 8 - 1) / (maxThreads * 8);
            job.ColsPerTask = Math.Clamp((perTask + 3) & ~3, 16, 512);
        }
        else
        {
            job.RowsPerTask = Math.Min(RowBlock, (g.M + 3) & ~3);
            job.ColsPerTask = ColBlock;
        }
        job.ColTasks = (g.N + job.ColsPerTask - 1) / job.ColsPerTask;
        int rowTasks = (g.M + job.RowsPerTask - 1) / job.RowsPerTask;
        CpuParallel.Run(job, rowTasks * job.ColTasks, maxThreads);
    }

    private sealed class Job : ParallelJob
    {
        public GemmOperands G;
        public int RowsPerTask, ColsPerTask, ColTasks;

        public override void Run(int chunk)
        {
            int i0 = chunk / ColTasks * RowsPerTask, j0 = chunk % ColTasks * ColsPerTask;
            Block(G, i0, Math.Min(G.M, i0 + RowsPerTask), j0, Math.Min(G.N, j0 + ColsPerTask));
        }
    }

    private static void Block(in GemmOperands g, int i0, int i1, int j0, int j1)
    {
        float* sums = stackalloc float[16];
        int k = g.K;
        int p0 = 0;
        do
        {
            int kc = Math.Min(DepthBlock, k - p0);
            bool first = p0 == 0;
            int i = i0;
            for (; i + 4 <= i1; i += 4)
            {
                float* a = g.A + (long)i * g.Lda + p0;
                int j = j0;
                for (; j + 4 <= j1; j += 4)
                {
                    Dot4x4(a, g.Lda, g.B + (long)j * g.Ldb + p0, g.Ldb, kc, sums);
                    for (int r = 0; r < 4; r++) g.Store4(i + r, j, Vector128.Load(sums + r * 4), first);
                }
                for (; j < j1; j++)
                for (int r = 0; r < 4; r++)
                    g.Store(i + r, j, Dot1x1(a + (long)r * g.Lda, g.B + (long)j * g.Ldb + p0, kc), first);
            }
            // Leftover rows of A (all of them for a matrix-vector product): four rows of B against each row of A,
            // reduced together, so B streams through memory in order and each four rows are reused from L1 by
            // the other rows of A. Every row gets the sums a matrix-vector product of it alone would.
            if (i < i1)
            {
                int j = j0;
                for (; j + 4 <= j1; j += 4)
                {
                    float* bj = g.B + (long)j * g.Ldb + p0;
                    for (int r = i; r < i1; r++)
                    {
                        Dot1x4(g.A + (long)r * g.Lda + p0, bj, g.Ldb, kc, sums);
                        g.Store4(r, j, Vector128.Load(sums), first);
                    }
                }
                for (; j < j1; j++)
                for (int r = i; r < i1; r++)
                    g.Store(r, j, Dot1x1(g.A + (long)r * g.Lda + p0, g.B + (long)j * g.Ldb + p0, kc), first);
            }
            p0 += kc;
        } while (p0 < k);
    }

    /// <summary>
    /// sums[r·4+c] = Σ_p a[r·lda+p]·b[c·ldb+p] for a 4×4 block. The elements after the last whole vector (all of
    /// them for k below 16: a small model's per-head products, k = 8) are added one at a time in index order as a
    /// scalar loop would add them (a multiply, then an add), each row's four sums in one vector; rows with no whole
    /// vector skip the sixteen horizontal sums of zero accumulators.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4x4(float* a, int lda, float* b, int ldb, int k, float* sums)
    {
        float* a0 = a, a1 = a + lda, a2 = a1 + lda, a3 = a2 + lda;
        float* b0 = b, b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            var x0 = Vector512.Load(a0 + p);
            var x1 = Vector512.Load(a1 + p);
            var x2 = Vector512.Load(a2 + p);
            var x3 = Vector512.Load(a3 + p);
            var w = Vector512.Load(b0 + p);
            c00 = Vector512.FusedMultiplyAdd(x0, w, c00);
            c10 = Vector512.FusedMultiplyAdd(x1, w, c10);
            c20 = Vector512.FusedMultiplyAdd(x2, w, c20);
            c30 = Vector512.FusedMultiplyAdd(x3, w, c30);
            w = Vector512.Load(b1 + p);
            c01 = Vector512.FusedMultiplyAdd(x0, w, c01);
            c11 = Vector512.FusedMultiplyAdd(x1, w, c11);
            c21 = Vector512.FusedMultiplyAdd(x2, w, c21);
            c31 = Vector512.FusedMultiplyAdd(x3, w, c31);
            w = Vector512.Load(b2 + p);
            c02 = Vector512.FusedMultiplyAdd(x0, w, c02);
            c12 = Vector512.FusedMultiplyAdd(x1, w, c12);
            c22 = Vector512.FusedMultiplyAdd(x2, w, c22);
            c32 = Vector512.FusedMultiplyAdd(x3, w, c32);
            w = Vector512.Load(b3 + p);
            c03 = Vector512.FusedMultiplyAdd(x0, w, c03);
            c13 = Vector512.FusedMultiplyAdd(x1, w, c13);
            c23 = Vector512.FusedMultiplyAdd(x2, w, c23);
            c33 = Vector512.FusedMultiplyAdd(x3, w, c33);
        }
        Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
        if (p > 0)
        {
            s0 = Vector128.Create(Vector512.Sum(c00), Vector512.Sum(c01), Vector512.Sum(c02), Vector512.Sum(c03));
            s1 = Vector128.Create(Vector512.Sum(c10), Vector512.Sum(c11), Vector512.Sum(c12), Vector512.Sum(c13));
            s2 = Vector128.Create(Vector512.Sum(c20), Vector512.Sum(c21), Vector512.Sum(c22), Vector512.Sum(c23));
            s3 = Vector128.Create(Vector512.Sum(c30), Vector512.Sum(c31), Vector512.Sum(c32), Vector512.Sum(c33));
        }
        for (; p < k; p++)
        {
            var w = Vector128.Create(b0[p], b1[p], b2[p], b3[p]);
            s0 += Vector128.Create(a0[p]) * w;
            s1 += Vector128.Create(a1[p]) * w;
            s2 += Vector128.Create(a2[p]) * w;
            s3 += Vector128.Create(a3[p]) * w;
        }
        s0.Store(sums);
        s1.Store(sums + 4);
        s2.Store(sums + 8);
        s3.Store(sums + 12);
    }

    /// <summary>
    /// sums[c] = Σ_p a[p]·b[c·ldb+p] for four rows of B: one load of a serves four FMAs, and the four
    /// accumulators are reduced together (halves added, then a horizontal-add tree) instead of one full
    /// horizontal sum per row, which costs as much as the FMAs of a short row. The lanes after the last whole
    /// vector are one masked vector. Which lane adds which element depends on the element's index only, never
    /// on where the rows sit in memory, so the sums are the same bit for bit wherever the operands live.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1x4(float* a, float* b, int ldb, int k, float* sums)
    {
        float* b0 = b, b1 = b + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        if (k < 32)
        {
            for (int c = 0; c < 4; c++) sums[c] = Dot1x1(a, b + (long)c * ldb, k);
            return;
        }
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x = Vector512.Load(a + p);
            var y = Vector512.Load(a + p + 16);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b0 + p), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b1 + p), c1);
            c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b2 + p), c2);
            c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b3 + p), c3);
            d0 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b0 + p + 16), d0);
            d1 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b1 + p + 16), d1);
            d2 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b2 + p + 16), d2);
            d3 = Vector512.FusedMultiplyAdd(y, Vector512.Load(b3 + p + 16), d3);
        }
        if (p + 16 <= k)
        {
            var x = Vector512.Load(a + p);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b0 + p), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b1 + p), c1);
            c2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b2 + p), c2);
            c3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b3 + p), c3);
            p += 16;
        }
        if (p < k)
        {
            // The last 16 elements of the row, lanes already counted masked off.
            int start = k - 16;
            var x = Vector512.Load(a + start) & Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(p - start)).AsSingle();
            d0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b0 + start), d0);
            d1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b1 + start), d1);
            d2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b2 + start), d2);
            d3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b3 + start), d3);
        }
        Reduce4(c0 + d0, c1 + d1, c2 + d2, c3 + d3).Store(sums);
    }

    /// <summary>The four sums of four vectors' lanes, in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Reduce4(Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3)
    {
        var h0 = v0.GetLower() + v0.GetUpper();
        var h1 = v1.GetLower() + v1.GetUpper();
        var h2 = v2.GetLower() + v2.GetUpper();
        var h3 = v3.GetLower() + v3.GetUpper();
        if (Avx.IsSupported)
        {
            // [h0 pairs, h1 pairs | ...] then [s0 s1 s2 s3] per 128-bit lane; the two lanes add up.
            var t = Avx.HorizontalAdd(Avx.HorizontalAdd(h0, h1), Avx.HorizontalAdd(h2, h3));
            return t.GetLower() + t.GetUpper();
        }
        return Vector128.Create(Vector256.Sum(h0), Vector256.Sum(h1), Vector256.Sum(h2), Vector256.Sum(h3));
    }

    /// <summary>Σ_p a[p]·b[p].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot1x1(float* a, float* b, int k)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        int p = 0;
        for (; p + 64 <= k; p += 64)
        {
            c0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + p + 16), Vector512.Load(b + p + 16), c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + p + 32), Vector512.Load(b + p + 32), c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + p + 48), Vector512.Load(b + p + 48), c3);
        }
        for (; p + 16 <= k; p += 16) c0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + p), Vector512.Load(b + p), c0);
        float s = Vector512.Sum((c0 + c1) + (c2 + c3));
        for (; p < k; p++) s += a[p] * b[p];
        return s;
    }
}
