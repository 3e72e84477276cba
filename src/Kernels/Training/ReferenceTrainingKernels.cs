using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Training;

/// <summary>
/// The host oracle of <see cref="ITrainingKernels"/>: plain loops in double precision, products through
/// the given host kernels.
/// </summary>
public sealed class ReferenceTrainingKernels(IKernels kernels) : ITrainingKernels
{
    public void HardConcrete(Tensor logAlpha, Tensor uniform, Tensor z)
    {
        KernelChecks.Require(uniform.Count == logAlpha.Count && z.Count == logAlpha.Count, $"hard concrete: {logAlpha.Shape}, {uniform.Shape}, {z.Shape}");
        var a = logAlpha.Span; var u = uniform.Span; var Z = z.Span;
        for (int i = 0; i < Z.Length; i++) Z[i] = (float)Math.Clamp(HardConcreteMath.Stretched(a[i], u[i], out _), 0.0, 1.0);
    }

    public void HardConcreteBackward(Tensor logAlpha, Tensor uniform, Tensor dz, Tensor dLogAlpha, float dzShift = 0)
    {
        KernelChecks.Require(uniform.Count == logAlpha.Count && dz.Count == logAlpha.Count && dLogAlpha.Count == logAlpha.Count,
            $"hard concrete backward: {logAlpha.Shape}, {uniform.Shape}, {dz.Shape}, {dLogAlpha.Shape}");
        var a = logAlpha.Span; var u = uniform.Span; var g = dz.Span; var da = dLogAlpha.Span;
        for (int i = 0; i < a.Length; i++)
        {
            double stretched = HardConcreteMath.Stretched(a[i], u[i], out double s);
            if (stretched > 0 && stretched < 1)
                da[i] += (float)((g[i] + dzShift) * (HardConcreteMath.Right - HardConcreteMath.Left) * s * (1 - s) / HardConcreteMath.Beta);
        }
    }

    public void MaskNoise(Tensor u, ulong seed) => Kernels.MaskNoise.Fill(u.Span, seed);

    public void Sum(Tensor x, bool squares, Tensor total)
    {
        KernelChecks.Require(total.Count == 2, $"sum: the total is {total.Shape}, not two floats");
        double sum = 0;
        foreach (float v in x.Span) sum += squares ? (double)v * v : v;
        SumTotal.Write(sum, total.Span);
    }

    public void MaskedEdgeSum(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x)
    {
        var (R, W, N) = MaskedEdgeSumShape.Of(z, visible, d, x, c);
        var C = c.Span; var X = x.Span;
        if (c.Count == N) for (int r = 0; r < R; r++) C.CopyTo(X.Slice(r * N, N));
        else C.CopyTo(X);
        if (W > 0) kernels.Gemm(VisibleMasks(z, visible), false, d.Reshape(W, N), false, x.Reshape(R, N), 1f, 1f);
    }

    public void MaskedEdgeSumBackward(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd)
    {
        var (R, W, N) = MaskedEdgeSumShape.Of(z, visible, d, dx, null);
        KernelChecks.Require((dz is null || dz.Count == z.Count) && (dd is null || dd.Count == d.Count), $"masked edge sum backward: dz {dz?.Shape}, dd {dd?.Shape}");
        if (W == 0) return;
        if (dz is not null)
        {
            var full = Tensor.Empty(DType.F32, R, W);
            kernels.Gemm(dx.Reshape(R, N), false, d.Reshape(W, N), true, full);
            var F = full.Span; var dZ = dz.Span;
            for (int r = 0; r < R; r++)
                for (int w = 0; w < MaskedEdgeSumShape.Seen(visible, r, W); w++) dZ[r * W + w] += F[r * W + w];
        }
        if (dd is not null) kernels.Gemm(VisibleMasks(z, visible), true, dx.Reshape(R, N), false, dd.Reshape(W, N), 1f, 1f);
    }

    private static Tensor VisibleMasks(Tensor z, ReadOnlySpan<int> visible)
    {
        if (visible.IsEmpty) return z;
        int R = z.Shape[0], W = z.Shape[1];
        var masked = Tensor.Zeros(R, W);
        var Z = z.Span; var M = masked.Span;
        for (int r = 0; r < R; r++) Z.Slice(r * W, visible[r]).CopyTo(M.Slice(r * W));
        return masked;
    }

    public void KlDivergence(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit, float gradScale)
    {
        int V = KlShape.Check(full, circuit, rows, columns, rowKl, dCircuit);
        int width = columns.IsEmpty ? V : columns.Length;
        var F = full.Span; var Cc = circuit.Span; var K = rowKl.Span; var G = dCircuit.Span;
        var f = new double[width];
        var c = new double[width];
        for (int i = 0; i < rows.Length; i++)
        {
            int row = rows[i];
            for (int j = 0; j < width; j++)
            {
                int col = columns.IsEmpty ? j : columns[j];
                f[j] = F[row * V + col];
                c[j] = Cc[row * V + col];
            }
            double lzf = LogSumExp(f), lzc = LogSumExp(c), sum = 0;
            for (int j = 0; j < width; j++)
            {
                double lf = f[j] - lzf, lc = c[j] - lzc, pf = Math.Exp(lf);
                if (pf != 0) sum += pf * (lf - lc);
                int col = columns.IsEmpty ? j : columns[j];
                G[row * V + col] += (float)(gradScale * (Math.Exp(lc) - pf));
            }
            K[i] = (float)sum;
        }
    }

    public void SequenceKl(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit, float gradScale)
    {
        int sequences = KlShape.CheckSequences(full, circuit, offsets, rows, seqKl, dCircuit);
        int outputs = circuit.Shape.Cols;
        var F = full.Span; var Cc = circuit.Span; var K = seqKl.Span; var G = dCircuit.Span;
        for (int b = 0; b < sequences; b++)
        {
            int first = offsets[b], count = offsets[b + 1] - first;
            var f = new double[count];
            var c = new double[count];
            for (int i = 0; i < count; i++)
            {
                f[i] = F[rows[first + i] * outputs];
                c[i] = Cc[rows[first + i] * outputs];
            }
            double lzf = LogSumExp(f), lzc = LogSumExp(c), sum = 0;
            for (int i = 0; i < count; i++)
            {
                double lf = f[i] - lzf, lc = c[i] - lzc, pf = Math.Exp(lf);
                if (pf != 0) sum += pf * (lf - lc);
                G[rows[first + i] * outputs] += (float)(gradScale * (Math.Exp(lc) - pf));
            }
            K[b] = (float)sum;
        }
    }

    private static double LogSumExp(double[] x)
    {
        double max = double.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in x) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }

    public void AdamW(Tensor parameters, Tensor gradients, Tensor first, Tensor second, AdamWStep step) =>
        AdamWMath.Step(parameters.Span, gradients.Span, first.Span, second.Span, step);
}
