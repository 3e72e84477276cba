using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cpu;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class MaskedReadForwardTests
{
    /// <summary>
    /// The fused reference and the unfused composition evaluate the same double formulas from an f32 x that
    /// is one rounding of the masked sum. A different summation order would move x by an ulp, which moves y
    /// by 2^-24·|x|·rstd·|γ| &lt; 2^-24·6·1.5 ≈ 5e-7 for these inputs (|x|·rstd &lt; 6, γ &lt; 1.5), plus the
    /// final rounding: 1e-6 per element (relative, absolute below 1).
    /// </summary>
    private const double UnfusedTolerance = 1e-6;

    public static TheoryData<MaskedReadNormKind, int, int, int, int> Shapes()
    {
        var data = new TheoryData<MaskedReadNormKind, int, int, int, int>();
        foreach (var kind in new[] { MaskedReadNormKind.LayerNorm, MaskedReadNormKind.RmsNorm })
        {
            data.Add(kind, 1, 1, 1, 5);     // one reader, one (masked-off) writer
            data.Add(kind, 3, 7, 5, 13);    // odd everything
            data.Add(kind, 9, 4, 3, 130);   // more readers than one register group of the kernel
            data.Add(kind, 5, 2, 4, 37);
            data.Add(kind, 2, 0, 3, 16);    // first layer without embedding nodes: no writer yet
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_EqualsMaskedSumThenNorm(MaskedReadNormKind kind, int readers, int writers, int tokens, int dim)
    {
        var input = MaskedReadInputs.Random(readers * 1000 + writers * 100 + tokens * 10 + dim, kind, readers, writers, tokens, dim);
        var x = ExplicitMaskedSum(input);
        var expected = Poisoned(readers * tokens, dim);
        if (kind == MaskedReadNormKind.LayerNorm)
            ReferenceKernels.Instance.LayerNorm(x, input.Norm.Gamma, input.Norm.Beta, expected, input.Norm.Eps);
        else
            ReferenceKernels.Instance.RmsNorm(x, input.Norm.Gamma, expected, input.Norm.Eps);

        var y = Poisoned(readers, tokens, dim);
        var (mean, rstd) = input.PoisonedStatistics();
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y, mean, rstd);

        AssertElementsClose(expected.Span, y.Span, UnfusedTolerance, $"{kind} y [{readers},{writers},{tokens},{dim}]");
        var (expectedMean, expectedRstd) = RowStatistics(x, kind, input.Norm.Eps);
        if (mean is not null) AssertElementsClose(expectedMean, mean.Span, UnfusedTolerance, "mean");
        AssertElementsClose(expectedRstd, rstd.Span, UnfusedTolerance, "rstd");
    }

    [Theory]
    [InlineData(MaskedReadNormKind.LayerNorm)]
    [InlineData(MaskedReadNormKind.RmsNorm)]
    public void Bf16Output_IsTheRoundedF32Output(MaskedReadNormKind kind)
    {
        var input = MaskedReadInputs.Random(11, kind, 4, 6, 3, 29);
        var f32 = Poisoned(4, 3, 29);
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, f32, null, null);
        var bf16 = Tensor.Zeros(DType.BF16, 4, 3, 29);
        bf16.AsSpan<ushort>().Fill(0x7fc1); // NaN: any element left unwritten shows
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, bf16, null, null);

        var rounded = new ushort[f32.Count];
        HalfConversion.FloatToBF16(f32.Span, rounded);
        Assert.Equal(rounded, bf16.AsSpan<ushort>().ToArray());
    }

    [Theory]
    [InlineData(MaskedReadNormKind.LayerNorm)]
    [InlineData(MaskedReadNormKind.RmsNorm)]
    public void Bf16Stack_ReadsAsItsF32Values(MaskedReadNormKind kind)
    {
        var input = MaskedReadInputs.Random(12, kind, 3, 5, 4, 21);
        var bf16 = input.Stack.To(DType.BF16);
        var widened = bf16.ToF32();
        var fromBf16 = Poisoned(3, 4, 21);
        var fromF32 = Poisoned(3, 4, 21);
        MaskedReadReference.Instance.Forward(input.Z, bf16, input.Corrupted, input.Norm, fromBf16, null, null);
        MaskedReadReference.Instance.Forward(input.Z, widened, input.Corrupted, input.Norm, fromF32, null, null);
        Assert.Equal(fromF32.ToArray(), fromBf16.ToArray());
        // The rounding of D must matter, or the comparison above proves nothing.
        var exact = Poisoned(3, 4, 21);
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, exact, null, null);
        Assert.NotEqual(exact.ToArray(), fromBf16.ToArray());
    }

    [Fact]
    public void RmsNorm_KeepsNoMean()
    {
        var input = MaskedReadInputs.Random(13, MaskedReadNormKind.RmsNorm, 2, 3, 2, 8);
        Assert.Throws<ShapeException>(() => MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm,
            Tensor.Zeros(2, 2, 8), Tensor.Zeros(2, 2), Tensor.Zeros(2, 2)));
    }

    /// <summary>x[r·N + n, :] = C[n] + Σ_u z[r,u]·D[u,n], summed in double and rounded once, as the unfused path holds it.</summary>
    private static Tensor ExplicitMaskedSum(MaskedReadInputs input)
    {
        int R = input.Readers, U = input.Writers, N = input.Tokens, d = input.Dim;
        var x = Poisoned(R * N, d);
        var X = x.Span; var Z = input.Z.Span; var D = input.Stack.Span; var C = input.Corrupted.Span;
        for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++)
        for (int i = 0; i < d; i++)
        {
            double s = C[n * d + i];
            for (int u = 0; u < U; u++) s += (double)Z[r * U + u] * D[(u * N + n) * d + i];
            X[(r * N + n) * d + i] = (float)s;
        }
        return x;
    }

    private static (float[] Mean, float[] Rstd) RowStatistics(Tensor x, MaskedReadNormKind kind, float eps)
    {
        int rows = x.Shape.Rows, d = x.Shape.Cols;
        var mean = new float[rows];
        var rstd = new float[rows];
        var X = x.Span;
        for (int r = 0; r < rows; r++)
        {
            var row = X.Slice(r * d, d);
            double m = 0, v = 0;
            if (kind == MaskedReadNormKind.LayerNorm)
            {
                foreach (var e in row) m += e;
                m /= d;
            }
            foreach (var e in row) v += (e - m) * (e - m);
            mean[r] = (float)m;
            rstd[r] = (float)(1 / Math.Sqrt(v / d + eps));
        }
        return (mean, rstd);
    }
}
