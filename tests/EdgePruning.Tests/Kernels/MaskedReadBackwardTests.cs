using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class MaskedReadBackwardTests
{
    /// <summary>
    /// Central differences of the loss L = Σ w·y, evaluated entirely in double, with step h = 1e-4: the
    /// truncation error h²/6·|L'''| and the rounding error 1e-16·|L|/h are both below 1e-8 relative for these
    /// O(1) inputs. The analytic gradient carries the f32 roundings of x, μ, rstd and dX (2^-24 ≈ 6e-8
    /// relative each), a few 1e-7 at most after the sums: 1e-6 of ‖gradient‖. Any missing term of the norm
    /// backward is O(1/√d) of it or more.
    /// </summary>
    private const double GradientTolerance = 1e-6;
    private const double Step = 1e-4;

    public static TheoryData<MaskedReadNormKind, int, int, int, int> Shapes()
    {
        var data = new TheoryData<MaskedReadNormKind, int, int, int, int>();
        foreach (var kind in new[] { MaskedReadNormKind.LayerNorm, MaskedReadNormKind.RmsNorm })
        {
            data.Add(kind, 3, 4, 5, 13);
            data.Add(kind, 9, 3, 2, 7);
            // Not d = 2: a LayerNorm of two elements is ±γ + β whatever x is, so its true gradient is O(eps), the
            // remainder of O(1) terms that cancel, and the f32 roundings of those terms dominate it.
            data.Add(kind, 2, 5, 3, 3);
            data.Add(kind, 2, 0, 3, 6); // no writer: only C gets a gradient
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_MatchesFiniteDifferences(MaskedReadNormKind kind, int readers, int writers, int tokens, int dim)
    {
        var input = MaskedReadInputs.Random(readers * 1000 + writers * 100 + tokens * 10 + dim + 7, kind, readers, writers, tokens, dim);
        var w = Random(new Random(readers + dim), 1f, readers, tokens, dim);
        var (dz, dStack, dCorrupted) = Gradients(input, w);

        var z = Doubles(input.Z); var D = Doubles(input.Stack); var C = Doubles(input.Corrupted);
        double Loss() => DoubleLoss(input, z, D, C, w);
        AssertClose(FiniteDifferences(z, Loss), dz, GradientTolerance, $"{kind} dZ");
        AssertClose(FiniteDifferences(D, Loss), dStack, GradientTolerance, $"{kind} dD");
        AssertClose(FiniteDifferences(C, Loss), dCorrupted, GradientTolerance, $"{kind} dC");
    }

    [Theory]
    [InlineData(MaskedReadNormKind.LayerNorm)]
    [InlineData(MaskedReadNormKind.RmsNorm)]
    public void Backward_AddsIntoItsOutputs(MaskedReadNormKind kind)
    {
        var input = MaskedReadInputs.Random(21, kind, 4, 3, 3, 11);
        var w = Random(new Random(22), 1f, 4, 3, 11);
        var (dz, dStack, dCorrupted) = Gradients(input, w);

        var rng = new Random(23);
        var dz0 = Random(rng, 1f, 4, 3);
        var dStack0 = Random(rng, 1f, 3, 3, 11);
        var dCorrupted0 = Random(rng, 1f, 3, 11);
        var (mean, rstd) = Statistics(input);
        var dzAcc = dz0.Clone(); var dStackAcc = dStack0.Clone(); var dCorruptedAcc = dCorrupted0.Clone();
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, w, dzAcc, dStackAcc, dCorruptedAcc);

        Assert.Equal(Sum(dz0, dz), dzAcc.ToArray());
        Assert.Equal(Sum(dStack0, dStack), dStackAcc.ToArray());
        Assert.Equal(Sum(dCorrupted0, dCorrupted), dCorruptedAcc.ToArray());
    }

    [Theory]
    [InlineData(MaskedReadNormKind.LayerNorm)]
    [InlineData(MaskedReadNormKind.RmsNorm)]
    public void Bf16StackAndOutputGrad_ReadAsTheirF32Values(MaskedReadNormKind kind)
    {
        var input = MaskedReadInputs.Random(31, kind, 5, 4, 3, 19);
        var stackBf16 = input.Stack.To(DType.BF16);
        var wBf16 = Random(new Random(32), 1f, 5, 3, 19).To(DType.BF16);
        var narrow = input.WithStack(stackBf16);
        var wide = input.WithStack(stackBf16.ToF32());

        var (dzN, dStackN, dCorruptedN) = Gradients(narrow, wBf16);
        var (dzW, dStackW, dCorruptedW) = Gradients(wide, wBf16.ToF32());

        Assert.Equal(dzW.ToArray(), dzN.ToArray());
        Assert.Equal(dStackW.ToArray(), dStackN.ToArray());
        Assert.Equal(dCorruptedW.ToArray(), dCorruptedN.ToArray());
    }

    /// <summary>
    /// A bf16 dD (as the trainer holds it in a bf16 run) gets each element's f32 sum of its old value and the
    /// f32 gradient, rounded once to bf16: bit for bit what an f32 dD holding the old values would hold, rounded.
    /// The old values are O(1) and nonzero, so an output that overwrote them would show.
    /// </summary>
    [Theory]
    [InlineData(MaskedReadNormKind.LayerNorm)]
    [InlineData(MaskedReadNormKind.RmsNorm)]
    public void Bf16StackGradient_AddsIntoItsValues_RoundedOnce(MaskedReadNormKind kind)
    {
        var input = MaskedReadInputs.Random(24, kind, 4, 3, 3, 11);
        var w = Random(new Random(25), 1f, 4, 3, 11);
        var (dz, dStack, dCorrupted) = Gradients(input, w);

        var before = Random(new Random(26), 1f, 3, 3, 11).To(DType.BF16);
        Assert.DoesNotContain(before.ToF32().ToArray(), v => v == 0f);
        var (mean, rstd) = Statistics(input);
        var dzAcc = Tensor.Zeros(4, 3);
        var dStackAcc = before.Clone();
        var dCorruptedAcc = Tensor.Zeros(3, 11);
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, w, dzAcc, dStackAcc, dCorruptedAcc);

        Assert.Equal(DType.BF16, dStackAcc.DType);
        var expected = Tensor.FromData(Sum(before.ToF32(), dStack), 3, 3, 11).To(DType.BF16);
        Assert.Equal(expected.Bytes.ToArray(), dStackAcc.Bytes.ToArray());
        Assert.NotEqual(dStack.To(DType.BF16).Bytes.ToArray(), dStackAcc.Bytes.ToArray());
        // dz and dC stay f32, whatever dD is stored in.
        Assert.Equal(dz.ToArray(), dzAcc.ToArray());
        Assert.Equal(dCorrupted.ToArray(), dCorruptedAcc.ToArray());
    }

    /// <summary>dZ, dD, dC of L = Σ w·y from zeroed outputs, with the statistics of the reference forward.</summary>
    private static (Tensor Dz, Tensor DStack, Tensor DCorrupted) Gradients(MaskedReadInputs input, Tensor w)
    {
        var (mean, rstd) = Statistics(input);
        var dz = Tensor.Zeros(input.Readers, input.Writers);
        var dStack = Tensor.Zeros(input.Writers, input.Tokens, input.Dim);
        var dCorrupted = Tensor.Zeros(input.Tokens, input.Dim);
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, w, dz, dStack, dCorrupted);
        return (dz, dStack, dCorrupted);
    }

    private static (Tensor? Mean, Tensor Rstd) Statistics(MaskedReadInputs input)
    {
        var (mean, rstd) = input.PoisonedStatistics();
        var y = Tensor.Zeros(input.Readers, input.Tokens, input.Dim);
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y, mean, rstd);
        return (mean, rstd);
    }

    /// <summary>L = Σ w·norm(C + Σ_u z·D), in double throughout (no f32 rounding anywhere).</summary>
    private static double DoubleLoss(MaskedReadInputs input, double[] z, double[] D, double[] C, Tensor w)
    {
        int R = input.Readers, U = input.Writers, N = input.Tokens, d = input.Dim;
        bool layerNorm = input.Norm.Kind == MaskedReadNormKind.LayerNorm;
        var gamma = input.Norm.Gamma.Span;
        var beta = input.Norm.Beta is { } b ? b.Span : default;
        var W = w.ToF32().Span;
        var x = new double[d];
        double loss = 0;
        for (int r = 0; r < R; r++)
        for (int n = 0; n < N; n++)
        {
            for (int i = 0; i < d; i++)
            {
                x[i] = C[n * d + i];
                for (int u = 0; u < U; u++) x[i] += z[r * U + u] * D[(u * N + n) * d + i];
            }
            double mean = layerNorm ? x.Average() : 0, sq = 0;
            foreach (var v in x) sq += (v - mean) * (v - mean);
            double rstd = 1 / Math.Sqrt(sq / d + input.Norm.Eps);
            for (int i = 0; i < d; i++)
                loss += W[(r * N + n) * d + i] * ((x[i] - mean) * rstd * gamma[i] + (beta.IsEmpty ? 0 : beta[i]));
        }
        return loss;
    }

    private static Tensor FiniteDifferences(double[] parameters, Func<double> loss)
    {
        var grad = Tensor.Empty(DType.F32, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            double v = parameters[i];
            parameters[i] = v + Step;
            double plus = loss();
            parameters[i] = v - Step;
            double minus = loss();
            parameters[i] = v;
            grad.Span[i] = (float)((plus - minus) / (2 * Step));
        }
        return grad;
    }

    private static double[] Doubles(Tensor t) => t.ToArray().Select(v => (double)v).ToArray();

    private static float[] Sum(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => x + y).ToArray();
}
