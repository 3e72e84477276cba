using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Parity;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// <see cref="CpuMaskedRead"/> against <see cref="MaskedReadReference"/>. Every output is held to the parity
/// suite's criterion for f32 arithmetic on the host (<see cref="ParityTolerances.F32"/> of the output's typical
/// size, plus as much of each element): the same math summed in f32 in another order.
/// </summary>
public class CpuMaskedReadTests
{
    public enum Norm { LayerNorm, LayerNormWithoutBeta, RmsNorm }

    public static TheoryData<Norm, int, int, int, int> Cases()
    {
        var data = new TheoryData<Norm, int, int, int, int>();
        foreach (var norm in Enum.GetValues<Norm>())
        {
            data.Add(norm, 1, 1, 1, 5);       // one reader, one (masked-off) writer, a row shorter than a vector
            data.Add(norm, 3, 7, 5, 13);
            data.Add(norm, 9, 4, 3, 130);     // more readers than one register panel of the product; d = 8·16 + 2
            data.Add(norm, 2, 0, 3, 16);      // no writer: x is C
            data.Add(norm, 12, 25, 16, 768);  // a GPT-2 layer's readers: every pass split across threads
            data.Add(norm, 3, 5, 100, 700);   // reader rows longer than one copy block; d = 43·16 + 12
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesTheReference(Norm norm, int readers, int writers, int tokens, int dim) =>
        AssertForwardMatches(Inputs(norm, readers, writers, tokens, dim), new CpuMaskedRead(Environment.ProcessorCount));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_AddedIntoGradientsThatHoldValues_MatchesTheReference(Norm norm, int readers, int writers, int tokens, int dim) =>
        AssertBackwardMatches(Inputs(norm, readers, writers, tokens, dim), new CpuMaskedRead(Environment.ProcessorCount));

    [Fact]
    public void TheCpuBackend_ReadsWithThisEngine_OneInstance()
    {
        using var backend = new CpuKernelBackend();
        Assert.IsType<CpuMaskedRead>(backend.MaskedRead);
        Assert.Same(backend.MaskedRead, backend.MaskedRead);
    }

    [Theory]
    [InlineData(Norm.LayerNorm)]
    [InlineData(Norm.RmsNorm)]
    public void OnOneThread_GivesTheSameBitsAsOnAllCores(Norm norm)
    {
        var input = Inputs(norm, 12, 25, 16, 768);
        var (mean, rstd) = ReferenceStatistics(input);
        var dY = Random(new Random(7), 1f, input.Readers, input.Tokens, input.Dim);
        var results = new List<float[]>[2];
        foreach (var (threads, i) in new[] { (1, 0), (Environment.ProcessorCount, 1) })
        {
            var kernels = new CpuMaskedRead(threads);
            var y = Poisoned(input.Readers, input.Tokens, input.Dim);
            var (yMean, yRstd) = input.PoisonedStatistics();
            kernels.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y, yMean, yRstd);
            var g = ZeroGradients(input);
            kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, g.Dz, g.DStack, g.DCorrupted);
            results[i] = [y.ToArray(), yRstd.ToArray(), g.Dz.ToArray(), g.DStack.ToArray(), g.DCorrupted.ToArray()];
        }
        for (int k = 0; k < results[0].Count; k++) Assert.Equal(results[0][k], results[1][k]);
    }

    [Fact]
    public void OneInstance_ServesCallsOfGrowingAndShrinkingShapes()
    {
        var kernels = new CpuMaskedRead(Environment.ProcessorCount);
        foreach (var (readers, writers, tokens, dim) in new[] { (2, 3, 4, 40), (9, 4, 3, 130), (2, 3, 4, 40), (5, 2, 7, 33) })
        {
            var input = Inputs(Norm.RmsNorm, readers, writers, tokens, dim);
            AssertForwardMatches(input, kernels);
            AssertBackwardMatches(input, kernels);
        }
    }

    [Theory]
    [InlineData(Norm.LayerNorm)]
    [InlineData(Norm.RmsNorm)]
    public void NullGradientOutputs_AreSkipped_TheOthersComputedAsInAFullCall(Norm norm)
    {
        var input = Inputs(norm, 9, 4, 3, 130);
        var kernels = new CpuMaskedRead(Environment.ProcessorCount);
        var (mean, rstd) = ReferenceStatistics(input);
        var dY = Random(new Random(5), 1f, input.Readers, input.Tokens, input.Dim);
        var full = ZeroGradients(input);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, full.Dz, full.DStack, full.DCorrupted);

        var dz = Tensor.Zeros(input.Readers, input.Writers);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, dz, null, null);
        var dStack = Tensor.Zeros(input.Writers, input.Tokens, input.Dim);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, null, dStack, null);
        var dCorrupted = Tensor.Zeros(input.Tokens, input.Dim);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, null, null, dCorrupted);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, null, null, null);

        Assert.Equal(full.Dz.ToArray(), dz.ToArray());
        Assert.Equal(full.DStack.ToArray(), dStack.ToArray());
        Assert.Equal(full.DCorrupted.ToArray(), dCorrupted.ToArray());
        Assert.Contains(full.Dz.ToArray(), v => v != 0f);
    }

    [Theory]
    [InlineData(Norm.LayerNorm, true, false, false)]
    [InlineData(Norm.LayerNorm, false, true, false)]
    [InlineData(Norm.RmsNorm, true, true, false)]
    [InlineData(Norm.RmsNorm, false, false, true)]
    [InlineData(Norm.LayerNorm, true, true, true)]
    public void Bf16Tensors_AreHandedToTheReference(Norm norm, bool bf16Stack, bool bf16Output, bool bf16StackGrad)
    {
        var input = Inputs(norm, 9, 4, 3, 130);
        if (bf16Stack) input = input.WithStack(input.Stack.To(DType.BF16));
        var outputType = bf16Output ? DType.BF16 : DType.F32;
        var kernels = new CpuMaskedRead(Environment.ProcessorCount);

        var y = Tensor.Zeros(outputType, input.Readers, input.Tokens, input.Dim);
        var expectedY = Tensor.Zeros(outputType, input.Readers, input.Tokens, input.Dim);
        var (mean, rstd) = input.PoisonedStatistics();
        var (expectedMean, expectedRstd) = input.PoisonedStatistics();
        kernels.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y, mean, rstd);
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, expectedY, expectedMean, expectedRstd);
        // A forward with f32 D and y is this engine's own (a bf16 dD is the backward's alone).
        if (bf16Stack || bf16Output)
        {
            Assert.Equal(expectedY.Bytes.ToArray(), y.Bytes.ToArray());
            Assert.Equal(expectedRstd.ToArray(), rstd.ToArray());
            if (mean is not null) Assert.Equal(expectedMean!.ToArray(), mean.ToArray());
        }

        var dY = Random(new Random(6), 1f, input.Readers, input.Tokens, input.Dim).To(outputType);
        var actual = ZeroGradients(input, bf16StackGrad ? DType.BF16 : DType.F32);
        var expected = ZeroGradients(input, bf16StackGrad ? DType.BF16 : DType.F32);
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, expectedMean, expectedRstd, dY, actual.Dz, actual.DStack, actual.DCorrupted);
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, expectedMean, expectedRstd, dY,
            expected.Dz, expected.DStack, expected.DCorrupted);
        Assert.Equal(expected.Dz.ToArray(), actual.Dz.ToArray());
        Assert.Equal(expected.DStack.Bytes.ToArray(), actual.DStack.Bytes.ToArray());
        Assert.Equal(expected.DCorrupted.ToArray(), actual.DCorrupted.ToArray());

        // The hand-over alone compares the reference with itself. What comes back must also be right: the f32
        // computation on the same values widened (this engine's own f32 path), rounded once to bf16 where an output is bf16.
        var wide = input.WithStack(input.Stack.ToF32());
        var yWide = Tensor.Zeros(input.Readers, input.Tokens, input.Dim);
        var (wideMean, wideRstd) = wide.PoisonedStatistics();
        kernels.Forward(wide.Z, wide.Stack, wide.Corrupted, wide.Norm, yWide, wideMean, wideRstd);
        AssertRoundedOnce(yWide, y.ToF32(), bf16Output, "y");
        var g = ZeroGradients(wide);
        kernels.Backward(wide.Z, wide.Stack, wide.Corrupted, wide.Norm, wideMean, wideRstd, dY.ToF32(), g.Dz, g.DStack, g.DCorrupted);
        AssertRoundedOnce(g.Dz, actual.Dz, false, "dz");
        AssertRoundedOnce(g.DStack, actual.DStack.ToF32(), bf16StackGrad, "dD");
        AssertRoundedOnce(g.DCorrupted, actual.DCorrupted, false, "dC");
    }

    /// <summary>Within the f32 criterion of <paramref name="expected"/>, plus bf16's unit roundoff 2⁻⁸ where the result was stored in bf16.</summary>
    private static void AssertRoundedOnce(Tensor expected, Tensor actual, bool bf16, string what)
    {
        var f32 = ParityTolerances.For(DType.F32, onDevice: false, ParityArithmetic.Float, reduction: 0, ParityTolerances.RootMeanSquare(expected.Span));
        var tolerance = bf16 ? new ParityTolerance(f32.Atol, f32.Rtol + 1.0 / 256) : f32;
        var e = expected.Span;
        var a = actual.Span;
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(tolerance.Admits(a[i], e[i]), $"{what}: element {i} is {a[i]}, the f32 computation {e[i]} (tolerance {tolerance})");
    }

    /// <summary>
    /// A bf16 dD added into against the reference's f32 dD from the same values: each element is the f32
    /// result rounded once to bf16, so within bf16's unit roundoff 2⁻⁸ of its size, besides the f32 criterion of
    /// the other outputs (the f32 sums of the two sides differ in their last bits). dz and dC stay f32 and are
    /// held to the f32 criterion alone.
    /// </summary>
    [Theory]
    [InlineData(Norm.LayerNorm, 9, 4, 3, 130)]
    [InlineData(Norm.RmsNorm, 12, 25, 16, 768)]
    [InlineData(Norm.LayerNormWithoutBeta, 3, 5, 100, 70)]
    public void Bf16StackGradient_IsTheF32GradientRoundedOnce(Norm norm, int readers, int writers, int tokens, int dim)
    {
        const double Bf16UnitRoundoff = 1.0 / 256;
        var input = Inputs(norm, readers, writers, tokens, dim);
        var (mean, rstd) = ReferenceStatistics(input);
        var dY = Random(new Random(input.Dim + 3), 1f, input.Readers, input.Tokens, input.Dim);
        var rng = new Random(input.Dim + 4);
        var before = new Gradients(Random(rng, 0.5f, input.Readers, input.Writers),
            Random(rng, 0.5f, input.Writers, input.Tokens, input.Dim).To(DType.BF16), Random(rng, 0.5f, input.Tokens, input.Dim));
        var actual = before.Copy();
        var expected = new Gradients(before.Dz.Clone(), before.DStack.ToF32(), before.DCorrupted.Clone());
        new CpuMaskedRead(Environment.ProcessorCount).Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY,
            actual.Dz, actual.DStack, actual.DCorrupted);
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY,
            expected.Dz, expected.DStack, expected.DCorrupted);

        Assert.Equal(DType.BF16, actual.DStack.DType);
        var f32 = ParityTolerances.For(DType.F32, onDevice: false, ParityArithmetic.Float, reduction: 0,
            ParityTolerances.ScaleOfSum(before.DStack.ToF32().Span, expected.DStack.Span));
        var tolerance = new ParityTolerance(f32.Atol, f32.Rtol + Bf16UnitRoundoff);
        var e = expected.DStack.Span;
        var a = actual.DStack.ToF32().Span;
        for (int i = 0; i < e.Length; i++)
            Assert.True(tolerance.Admits(a[i], e[i]), $"dD: element {i} is {a[i]} but the reference is {e[i]} (tolerance {tolerance})");
        AssertAdmitted(expected.Dz, actual.Dz, ParityTolerances.ScaleOfSum(before.Dz.Span, expected.Dz.Span), "dz");
        AssertAdmitted(expected.DCorrupted, actual.DCorrupted, ParityTolerances.ScaleOfSum(before.DCorrupted.Span, expected.DCorrupted.Span), "dC");
        // Added into, not overwritten: the gradient moved the stored values.
        Assert.NotEqual(before.DStack.Bytes.ToArray(), actual.DStack.Bytes.ToArray());
    }

    /// <summary>Each wrong argument, and what it must be rejected with: the reference's message.</summary>
    public static TheoryData<string> WrongArguments() =>
        ["y count", "stack count", "mean for rmsnorm", "rstd dtype", "no mean for layernorm backward", "dY count", "dz count", "dz dtype", "dD dtype", "dC dtype"];

    [Theory]
    [MemberData(nameof(WrongArguments))]
    public void AWrongArgument_IsRejectedWithTheReferencesMessage(string wrong)
    {
        var layerNorm = Inputs(Norm.LayerNorm, 3, 4, 5, 24);
        var rmsNorm = Inputs(Norm.RmsNorm, 3, 4, 5, 24);
        Action<IMaskedReadKernels> call = wrong switch
        {
            "y count" => k => Forward(k, layerNorm, y: Tensor.Zeros(3, 5, 23)),
            "stack count" => k => Forward(k, layerNorm.WithStack(Tensor.Zeros(4, 4, 24))),
            "mean for rmsnorm" => k => Forward(k, rmsNorm, mean: Tensor.Zeros(3, 5)),
            "rstd dtype" => k => Forward(k, layerNorm, rstd: Tensor.Zeros(DType.BF16, 3, 5)),
            "no mean for layernorm backward" => k => Backward(k, layerNorm, withMean: false),
            "dY count" => k => Backward(k, layerNorm, dY: Tensor.Zeros(3, 5, 25)),
            "dz count" => k => Backward(k, rmsNorm, dz: Tensor.Zeros(4, 3, 2)),
            "dz dtype" => k => Backward(k, rmsNorm, dz: Tensor.Zeros(DType.BF16, 3, 4)),
            "dD dtype" => k => Backward(k, layerNorm, dStack: Tensor.Zeros(DType.F16, 4, 5, 24)),
            "dC dtype" => k => Backward(k, rmsNorm, dCorrupted: Tensor.Zeros(DType.BF16, 5, 24)),
            _ => throw new ArgumentOutOfRangeException(nameof(wrong)),
        };
        var expected = Assert.Throws<ShapeException>(() => call(MaskedReadReference.Instance));
        var actual = Assert.Throws<ShapeException>(() => call(new CpuMaskedRead(Environment.ProcessorCount)));
        Assert.Equal(expected.Message, actual.Message);
    }

    private static MaskedReadInputs Inputs(Norm norm, int readers, int writers, int tokens, int dim)
    {
        var kind = norm == Norm.RmsNorm ? MaskedReadNormKind.RmsNorm : MaskedReadNormKind.LayerNorm;
        var input = MaskedReadInputs.Random(readers * 1000 + writers * 100 + tokens * 10 + dim + (int)norm, kind, readers, writers, tokens, dim);
        return norm == Norm.LayerNormWithoutBeta ? input.WithoutBeta() : input;
    }

    private static void AssertForwardMatches(MaskedReadInputs input, IMaskedReadKernels kernels)
    {
        var y = Poisoned(input.Readers, input.Tokens, input.Dim);
        var expectedY = Poisoned(input.Readers, input.Tokens, input.Dim);
        var (mean, rstd) = input.PoisonedStatistics();
        var (expectedMean, expectedRstd) = input.PoisonedStatistics();
        kernels.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y, mean, rstd);
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, expectedY, expectedMean, expectedRstd);

        AssertAdmitted(expectedY, y, ParityTolerances.RootMeanSquare(expectedY.Span), "y");
        AssertAdmitted(expectedRstd, rstd, ParityTolerances.RootMeanSquare(expectedRstd.Span), "rstd");
        // A mean cancels: measured against the rows' spread (the RMS of 1/rstd) as well, as the parity check does.
        if (mean is not null)
        {
            double spread = ParityTolerances.RootMeanSquare(expectedRstd.ToArray().Select(r => 1 / r).ToArray());
            AssertAdmitted(expectedMean!, mean, Math.Max(ParityTolerances.RootMeanSquare(expectedMean!.Span), spread), "mean");
        }

        // Without statistics tensors, y is the same.
        var yAlone = Poisoned(input.Readers, input.Tokens, input.Dim);
        kernels.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, yAlone, null, null);
        Assert.Equal(y.ToArray(), yAlone.ToArray());
    }

    private static void AssertBackwardMatches(MaskedReadInputs input, IMaskedReadKernels kernels)
    {
        var (mean, rstd) = ReferenceStatistics(input);
        var dY = Random(new Random(input.Dim + 3), 1f, input.Readers, input.Tokens, input.Dim);
        var rng = new Random(input.Dim + 4);
        var before = new Gradients(Random(rng, 0.5f, input.Readers, input.Writers),
            Random(rng, 0.5f, input.Writers, input.Tokens, input.Dim), Random(rng, 0.5f, input.Tokens, input.Dim));
        var actual = before.Copy();
        var expected = before.Copy();
        kernels.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY, actual.Dz, actual.DStack, actual.DCorrupted);
        MaskedReadReference.Instance.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, mean, rstd, dY,
            expected.Dz, expected.DStack, expected.DCorrupted);

        AssertAdmitted(expected.Dz, actual.Dz, ParityTolerances.ScaleOfSum(before.Dz.Span, expected.Dz.Span), "dz");
        AssertAdmitted(expected.DStack, actual.DStack, ParityTolerances.ScaleOfSum(before.DStack.Span, expected.DStack.Span), "dD");
        AssertAdmitted(expected.DCorrupted, actual.DCorrupted, ParityTolerances.ScaleOfSum(before.DCorrupted.Span, expected.DCorrupted.Span), "dC");
        // The gradient of C is never zero, so an output left as it was shows.
        Assert.True(ParityTolerances.RootMeanSquare(Difference(expected.DCorrupted, before.DCorrupted)) > 1e-3, "dC was not added to");
    }

    /// <summary>Every element within the parity suite's f32 criterion for an output of typical size <paramref name="scale"/>.</summary>
    private static void AssertAdmitted(Tensor expected, Tensor actual, double scale, string what)
    {
        var tolerance = ParityTolerances.For(DType.F32, onDevice: false, ParityArithmetic.Float, reduction: 0, scale);
        var e = expected.Span;
        var a = actual.Span;
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(tolerance.Admits(a[i], e[i]), $"{what}: element {i} is {a[i]} but the reference is {e[i]} (tolerance {tolerance})");
    }

    private static Tensor Ones(params int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        t.Fill(1f);
        return t;
    }

    private static float[] Difference(Tensor a, Tensor b) => a.ToArray().Zip(b.ToArray(), (x, y) => x - y).ToArray();

    private static (Tensor? Mean, Tensor Rstd) ReferenceStatistics(MaskedReadInputs input)
    {
        var (mean, rstd) = input.PoisonedStatistics();
        MaskedReadReference.Instance.Forward(input.Z, input.Stack, input.Corrupted, input.Norm,
            Tensor.Zeros(input.Readers, input.Tokens, input.Dim), mean, rstd);
        return (mean, rstd);
    }

    private sealed record Gradients(Tensor Dz, Tensor DStack, Tensor DCorrupted)
    {
        public Gradients Copy() => new(Dz.Clone(), DStack.Clone(), DCorrupted.Clone());
    }

    private static Gradients ZeroGradients(MaskedReadInputs input, DType stackGrad = DType.F32) =>
        new(Tensor.Zeros(input.Readers, input.Writers), Tensor.Zeros(stackGrad, input.Writers, input.Tokens, input.Dim), Tensor.Zeros(input.Tokens, input.Dim));

    private static void Forward(IMaskedReadKernels k, MaskedReadInputs input, Tensor? y = null, Tensor? mean = null, Tensor? rstd = null) =>
        k.Forward(input.Z, input.Stack, input.Corrupted, input.Norm, y ?? Tensor.Zeros(input.Readers, input.Tokens, input.Dim),
            mean, rstd ?? Tensor.Zeros(input.Readers, input.Tokens));

    private static void Backward(IMaskedReadKernels k, MaskedReadInputs input, bool withMean = true, Tensor? dY = null,
        Tensor? dz = null, Tensor? dStack = null, Tensor? dCorrupted = null)
    {
        bool layerNorm = input.Norm.Kind == MaskedReadNormKind.LayerNorm;
        k.Backward(input.Z, input.Stack, input.Corrupted, input.Norm, layerNorm && withMean ? Tensor.Zeros(input.Readers, input.Tokens) : null,
            Ones(input.Readers, input.Tokens), dY ?? Tensor.Zeros(input.Readers, input.Tokens, input.Dim),
            dz ?? Tensor.Zeros(input.Readers, input.Writers), dStack ?? Tensor.Zeros(input.Writers, input.Tokens, input.Dim),
            dCorrupted ?? Tensor.Zeros(input.Tokens, input.Dim));
    }
}
