using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// C = alpha·op(A)·B + beta·C with B stored [k,n] (rows contiguous along n). The register tile is
/// 8 rows × 32 columns (16 vector accumulators): per step of k it broadcasts 8 values of A and loads
/// two vectors of B. A is packed per 8-row panel and k-slice (which also absorbs op(A) = Aᵀ); B is read
/// in place, its slice of one task staying in L2 while the panels of A pass over it. Ragged edges go
/// through a zero-padded tile. Tasks are blocks of panels × blocks of column tiles.
/// </summary>
internal static unsafe class PackedGemm
{
    private const int MR = 8;
    private const int NR = 32;
    /// <summary>k-slice: one packed panel of A (8 KiB) stays in L1 across the column tiles of a task.</summary>
    private const int KC = 256;
    private const int MaxPanelsPerTask = 12;
    private const int MaxTilesPerTask = 8;

    [ThreadStatic] private static Job? t_job;

    public static void Run(in GemmOperands g, bool transA, int maxThreads)
    {
        int panels = (g.M + MR - 1) / MR, tiles = (g.N + NR - 1) / NR;
        int panelsPer = Math.Min(panels, MaxPanelsPerTask), tilesPer = Math.Min(tiles, MaxTilesPerTask);
        while (Ceil(panels, panelsPer) * Ceil(tiles, tilesPer) < 4 * maxThreads && (panelsPer > 1 || tilesPer > 1))
        {
            if (panelsPer >= tilesPer) panelsPer = (panelsPer + 1) / 2;
            else tilesPer = (tilesPer + 1) / 2;
        }
        var job = t_job ??= new Job();
        job.G = g;
        job.TransA = transA;
        job.RowsPerTask = panelsPer * MR;
        job.ColsPerTask = tilesPer * NR;
        job.ColTasks = Ceil(tiles, tilesPer);
        CpuParallel.Run(job, Ceil(panels, panelsPer) * job.ColTasks, maxThreads);
    }

    private static int Ceil(int a, int b) => (a + b - 1) / b;

    private sealed class Job : ParallelJob
    {
        public GemmOperands G;
        public bool TransA;
        public int RowsPerTask, ColsPerTask, ColTasks;

        public override void Run(int chunk)
        {
            int i0 = chunk / ColTasks * RowsPerTask, j0 = chunk % ColTasks * ColsPerTask;
            Block(G, TransA, i0, Math.Min(G.M, i0 + RowsPerTask), j0, Math.Min(G.N, j0 + ColsPerTask));
        }
    }

    private static void Block(in GemmOperands g, bool transA, int i0, int i1, int j0, int j1)
    {
        float* packA = ThreadScratch.PackA.Get(MR * KC);
        float* packB = ThreadScratch.PackB.Get(NR * KC);
        float* tile = ThreadScratch.Tile.Get(MR * NR);
        int fullEnd = j0 + (j1 - j0) / NR * NR;
        int p0 = 0;
        do
        {
            int kc = Math.Min(KC, g.K - p0);
            bool first = p0 == 0;
            if (fullEnd < j1) PackTailOfB(g, p0, kc, fullEnd, j1 - fullEnd, packB);
            for (int i = i0; i < i1; i += MR)
            {
                int rows = Math.Min(MR, i1 - i);
                PackPanelOfA(g, transA, i, rows, p0, kc, packA);
                float* cRow = g.C + (long)i * g.Ldc;
                for (int j = j0; j < fullEnd; j += NR)
                    Kernel(packA, g.B + (long)p0 * g.Ldb + j, g.Ldb, kc, cRow + j, g.Ldc, rows,
                        g.Alpha, first ? g.Beta : 1f, first && g.Bias != null ? g.Bias + j : null);
                if (fullEnd < j1)
                {
                    Kernel(packA, packB, NR, kc, tile, NR, MR, 1f, 0f, null);
                    for (int r = 0; r < rows; r++)
                    for (int c = 0; c < j1 - fullEnd; c++)
                        g.Store(i + r, fullEnd + c, tile[r * NR + c], first);
                }
            }
            p0 += kc;
        } while (p0 < g.K);
    }

    /// <summary>dst[p·MR + r] = op(A)[i+r, p0+p], rows past the edge zero.</summary>
    private static void PackPanelOfA(in GemmOperands g, bool transA, int i, int rows, int p0, int kc, float* dst)
    {
        if (transA)
        {
            // op(A)[i+r, p] = A[p, i+r]: each k step is a contiguous run of the panel's rows.
            for (int p = 0; p < kc; p++)
            {
                float* src = g.A + (long)(p0 + p) * g.Lda + i;
                float* d = dst + p * MR;
                if (rows == MR) Vector256.Store(Vector256.Load(src), d);
                else for (int r = 0; r < MR; r++) d[r] = r < rows ? src[r] : 0f;
            }
            return;
        }
        for (int r = 0; r < MR; r++)
        {
            if (r >= rows) { for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f; continue; }
            float* src = g.A + (long)(i + r) * g.Lda + p0;
            for (int p = 0; p < kc; p++) dst[p * MR + r] = src[p];
        }
    }

    /// <summary>dst[p·NR + c] = B[p0+p, j+c] for the last, partial column tile; columns past the edge zero.</summary>
    private static void PackTailOfB(in GemmOperands g, int p0, int kc, int j, int cols, float* dst)
    {
        for (int p = 0; p < kc; p++)
        {
            float* src = g.B + (long)(p0 + p) * g.Ldb + j;
            float* d = dst + p * NR;
            for (int c = 0; c < NR; c++) d[c] = c < cols ? src[c] : 0f;
        }
    }

    /// <summary>
    /// The 8×32 register tile over one k-slice: acc = Σ_p a[p·8 + r]·b[p·ldb + c], then for the first
    /// <paramref name="rows"/> rows c = alpha·acc + beta·c + bias (c is not read when beta is 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(float* a, float* b, int ldb, int kc, float* c, int ldc, int rows,
        float alpha, float beta, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            b += ldb;
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += MR;
        }
        StoreRow(c, c00, c01, alpha, beta, bias);
        if (rows > 1) StoreRow(c + ldc, c10, c11, alpha, beta, bias);
        if (rows > 2) StoreRow(c + 2 * ldc, c20, c21, alpha, beta, bias);
        if (rows > 3) StoreRow(c + 3 * ldc, c30, c31, alpha, beta, bias);
        if (rows > 4) StoreRow(c + 4 * ldc, c40, c41, alpha, beta, bias);
        if (rows > 5) StoreRow(c + 5 * ldc, c50, c51, alpha, beta, bias);
        if (rows > 6) StoreRow(c + 6 * ldc, c60, c61, alpha, beta, bias);
        if (rows > 7) StoreRow(c + 7 * ldc, c70, c71, alpha, beta, bias);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> lo, Vector512<float> hi, float alpha, float beta, float* bias)
    {
        lo *= alpha;
        hi *= alpha;
        if (beta != 0f)
        {
            lo = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c), lo);
            hi = Vector512.FusedMultiplyAdd(Vector512.Create(beta), Vector512.Load(c + 16), hi);
        }
        if (bias != null)
        {
            lo += Vector512.Load(bias);
            hi += Vector512.Load(bias + 16);
        }
        Vector512.Store(lo, c);
        Vector512.Store(hi, c + 16);
    }
}
