using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// The inputs of a group of readers under edge masks (interchange ablation):
/// x[r] = C + Σ_w z[r,w]·D[w], i.e. X[R,N] = C + Z·D in one GEMM, where D[W,N] holds one row per writer
/// (its clean output minus its corrupted output, N = tokens·d) and C is the corrupted stream that the
/// readers see: one row [N] shared by every reader, or one row per reader [R,N]. D, C and X may carry
/// the token axes ([W,B,S,d], [R,B,S,d]); only their element counts matter.
/// <para>
/// Reader r sees only writers 0..visible[r]−1 (writers are ordered so that what a reader sees is a
/// prefix). Entries of Z beyond that are ignored, whatever they hold, and get no gradient; an empty
/// <c>visible</c> means every reader sees every writer. Z is small ([R,W]), so the masked copy costs nothing
/// next to the product.
/// </para>
/// </summary>
public static class MaskedEdgeSumOp
{
    public static void Forward(IKernels kernels, Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x)
    {
        int N = PerReader(z, x), R = z.Shape[0], W = z.Shape[1];
        OpChecks.Require(d.Count == (long)W * N && (c.Count == N || c.Count == (long)R * N)
            && (visible.IsEmpty || visible.Length == R), $"masked edge sum: z {z.Shape}, d {d.Shape}, c {c.Shape}, x {x.Shape}");
        var C = c.Span;
        var X = x.Span;
        if (c.Count == N) for (int r = 0; r < R; r++) C.CopyTo(X.Slice(r * N, N));
        else C.CopyTo(X);
        if (W > 0) kernels.Gemm(Visible(z, visible), false, d.Reshape(W, N), false, x.Reshape(R, N), 1f, 1f);
    }

    /// <summary>dz[r,w] += ⟨D[w], dX[r]⟩ for visible entries (dX·Dᵀ); dd[w] += Σ_r z[r,w]·dX[r] (Zᵀ·dX).</summary>
    public static void Backward(IKernels kernels, Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd)
    {
        int N = PerReader(z, dx), R = z.Shape[0], W = z.Shape[1];
        OpChecks.Require(d.Count == (long)W * N && (visible.IsEmpty || visible.Length == R)
            && (dz is null || dz.Count == z.Count) && (dd is null || dd.Count == d.Count),
            $"masked edge sum backward: z {z.Shape}, d {d.Shape}, dx {dx.Shape}");
        if (W == 0) return;
        if (dz is not null)
        {
            var full = Tensor.Empty(DType.F32, R, W);
            kernels.Gemm(dx.Reshape(R, N), false, d.Reshape(W, N), true, full);
            var F = full.Span;
            var dZ = dz.Span;
            for (int r = 0; r < R; r++)
            {
                int seen = Seen(visible, r, W);
                for (int w = 0; w < seen; w++) dZ[r * W + w] += F[r * W + w];
            }
        }
        if (dd is not null) kernels.Gemm(Visible(z, visible), true, dx.Reshape(R, N), false, dd.Reshape(W, N), 1f, 1f);
    }

    /// <summary>N, the elements of one reader's input; a layer whose readers see no writer (W = 0) is allowed.</summary>
    private static int PerReader(Tensor z, Tensor x)
    {
        int readers = z.Shape.Rank == 2 ? z.Shape[0] : 0;
        OpChecks.Require(readers > 0 && x.Count % readers == 0, $"masked edge sum: z {z.Shape} must be [readers, writers] and {x.Shape} split into its readers");
        return checked((int)(x.Count / readers));
    }

    private static Tensor Visible(Tensor z, ReadOnlySpan<int> visible)
    {
        int R = z.Shape.Rows, W = z.Shape.Cols;
        var zv = Tensor.Zeros(R, W);
        var src = z.Span;
        var dst = zv.Span;
        for (int r = 0; r < R; r++)
        {
            int seen = Seen(visible, r, W);
            src.Slice(r * W, seen).CopyTo(dst.Slice(r * W, seen));
        }
        return zv;
    }

    private static int Seen(ReadOnlySpan<int> visible, int reader, int writers)
    {
        if (visible.IsEmpty) return writers;
        int n = visible[reader];
        if (n < 0 || n > writers) throw new ShapeException($"reader {reader} is said to see {n} writers; there are {writers}");
        return n;
    }
}
