using EdgePruning.Runtime;
using EdgePruning.Runtime.Cpu;

namespace EdgePruning.Kernels.MaskedRead;

/// <summary>
/// The plain CPU version of the fused masked read (kernels-cu/masked_read.cu), the oracle its launcher and
/// the CPU engine's <c>CpuMaskedRead</c> are checked against. For R readers, U writers they see, N positions
/// and model dim d:
/// <code>
///   x[r,n,:] = C[n,:] + Σ_u z[r,u]·D[u,n,:]       (grouped masks z [G,R,U]: z[n / (N/G), r, u])
///   y[r,n,:] = norm(x[r,n,:])      LayerNorm (x − μ)·rstd·γ + β, or RMSNorm x·rstd·γ
///   backward, g = dY·γ, x̂ = (x − μ)·rstd (μ = 0 for RMSNorm):
///   dX = rstd·(g − mean(g) − x̂·mean(g·x̂))   (RMSNorm: without mean(g))
///   dZ[r,u] += Σ_{n,i} dX[r,n,i]·D[u,n,i]    dD[u] += Σ_r z[r,u]·dX[r]    dC += Σ_r dX[r]
/// </code>
/// Layouts (row-major): z [R,U] f32; D [U,N,d] f32 or bf16; C [N,d] f32; y and dY [R,N,d] f32 or bf16;
/// mean and rstd [R,N] f32 (mean for LayerNorm only); dZ and dC f32 like z and C, dD f32 or bf16 like D. The traffic a call
/// must move is <see cref="MaskedReadShape.ForwardBytes"/> and <see cref="MaskedReadShape.BackwardBytes"/>.
/// <para>
/// Precision: x is summed in double and rounded once to f32 (the f32 tensor the unfused path would hold);
/// statistics and outputs are computed in double from that f32 x and rounded once, to f32 or, for a bf16
/// y, from that f32 value to bf16. The backward recomputes the same x, uses the f32 μ and rstd the forward
/// saved, rounds dX to f32 and sums the gradients in double before adding them, rounded to f32, to the f32
/// outputs. A bf16 dD gets the same f32 sum of its value and the addition, rounded once to bf16: what an f32 dD
/// holding the same values would hold, rounded to bf16.
/// </para>
/// </summary>
public sealed class MaskedReadReference : IMaskedReadKernels
{
    /// <summary>The one instance (it keeps no state).</summary>
    public static MaskedReadReference Instance { get; } = new();

    private MaskedReadReference() { }

    /// <summary>
    /// Writes y [R,N,d] (f32 or bf16) and, when given, mean and rstd [R,N]. RMSNorm keeps no mean: pass null.
    /// </summary>
    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd)
    {
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        MaskedReadChecks.Forward(s, norm, y, mean, rstd);
        int d = s.Dim;
        var D = Values(stack);
        var x = new float[d];
        var row = new float[d];
        for (int r = 0; r < s.Readers; r++)
        for (int n = 0; n < s.Tokens; n++)
        {
            int at = r * s.Tokens + n;
            Input(s, z.Span, D, corrupted.Span, r, n, x);
            var (mu, inv) = Statistics(x, norm);
            Normalize(x, mu, inv, norm, row);
            if (y.DType == DType.F32) row.CopyTo(y.Span.Slice(at * d, d));
            else HalfConversion.FloatToBF16(row, y.AsSpan<ushort>().Slice(at * d, d));
            if (mean is not null) mean.Span[at] = (float)mu;
            if (rstd is not null) rstd.Span[at] = (float)inv;
        }
    }

    /// <summary>
    /// Adds the gradients of y (<paramref name="outputGrad"/> dY [R,N,d], f32 or bf16) into dz [R,U] (f32), dStack
    /// [U,N,d] (f32 or bf16) and dCorrupted [N,d] (f32), each optional. mean (LayerNorm only) and rstd are the forward's.
    /// </summary>
    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        bool layerNorm = norm.Kind == MaskedReadNormKind.LayerNorm;
        MaskedReadChecks.Backward(s, z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
        int d = s.Dim, U = s.Writers, N = s.Tokens;
        var D = Values(stack);
        var dY = Values(outputGrad);
        var Z = z.Span;
        var gamma = norm.Gamma.Span;
        var dzSum = new double[z.Count];
        var dStackSum = new double[s.StackCount];
        var dCorruptedSum = new double[corrupted.Count];
        var x = new float[d];
        var dx = new float[d];
        for (int r = 0; r < s.Readers; r++)
        for (int n = 0; n < N; n++)
        {
            int at = r * N + n;
            Input(s, Z, D, corrupted.Span, r, n, x);
            double mu = layerNorm ? mean!.Span[at] : 0, inv = rstd.Span[at];
            var dyRow = dY.Slice(at * d, d);
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < d; i++)
            {
                double g = (double)dyRow[i] * gamma[i];
                sumG += g;
                sumGx += g * (x[i] - mu) * inv;
            }
            double meanG = layerNorm ? sumG / d : 0, meanGx = sumGx / d;
            for (int i = 0; i < d; i++)
                dx[i] = (float)(inv * ((double)dyRow[i] * gamma[i] - meanG - (x[i] - mu) * inv * meanGx));

            for (int u = 0; u < U; u++)
            {
                var Du = D.Slice((u * N + n) * d, d);
                double zru = Z[r * U + u], dot = 0;
                for (int i = 0; i < d; i++)
                {
                    dot += (double)dx[i] * Du[i];
                    dStackSum[(u * N + n) * d + i] += zru * dx[i];
                }
                dzSum[r * U + u] += dot;
            }
            for (int i = 0; i < d; i++) dCorruptedSum[n * d + i] += dx[i];
        }
        AddInto(dz, dzSum);
        AddInto(dStack, dStackSum);
        AddInto(dCorrupted, dCorruptedSum);
    }

    /// <summary>x = C[n] + Σ_u z[r,u]·D[u,n] (z of token n's group), summed in double, rounded once.</summary>
    private static void Input(MaskedReadShape s, ReadOnlySpan<float> z, ReadOnlySpan<float> D, ReadOnlySpan<float> C,
        int r, int n, Span<float> x)
    {
        int d = s.Dim, U = s.Writers, N = s.Tokens;
        int row = (n / s.TokensPerGroup * s.Readers + r) * U;
        for (int i = 0; i < d; i++)
        {
            double sum = C[n * d + i];
            for (int u = 0; u < U; u++) sum += (double)z[row + u] * D[(u * N + n) * d + i];
            x[i] = (float)sum;
        }
    }

    /// <summary>(μ, rstd) of one row: two passes for LayerNorm, μ = 0 for RMSNorm.</summary>
    private static (double Mean, double Rstd) Statistics(ReadOnlySpan<float> x, MaskedReadNorm norm)
    {
        double mean = 0, sq = 0;
        if (norm.Kind == MaskedReadNormKind.LayerNorm)
        {
            foreach (var v in x) mean += v;
            mean /= x.Length;
        }
        foreach (var v in x) sq += (v - mean) * (v - mean);
        return (mean, 1.0 / Math.Sqrt(sq / x.Length + norm.Eps));
    }

    private static void Normalize(ReadOnlySpan<float> x, double mean, double rstd, MaskedReadNorm norm, Span<float> y)
    {
        var g = norm.Gamma.Span;
        var b = norm.Beta is null ? default : norm.Beta.Span;
        for (int i = 0; i < x.Length; i++) y[i] = (float)((x[i] - mean) * rstd * g[i] + (b.IsEmpty ? 0 : b[i]));
    }

    private static ReadOnlySpan<float> Values(Tensor t) => t.DType == DType.F32 ? t.Span : t.ToF32().Span;

    /// <summary>target += sums, each sum rounded to f32 and added in f32; a bf16 target is rounded once more, on the way back.</summary>
    private static void AddInto(Tensor? target, double[] sums)
    {
        if (target is null) return;
        if (target.DType == DType.BF16)
        {
            var bits = target.AsSpan<ushort>();
            for (int i = 0; i < sums.Length; i++)
                bits[i] = HalfConversion.FloatToBF16(HalfConversion.BF16ToFloat(bits[i]) + (float)sums[i]);
            return;
        }
        var t = target.Span;
        for (int i = 0; i < sums.Length; i++) t[i] += (float)sums[i];
    }
}
