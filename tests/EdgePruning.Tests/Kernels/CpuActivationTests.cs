using System.Runtime.Intrinsics;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

public class CpuActivationTests
{
    /// <summary>Per element: |fast − ref| ≤ tol·max(1, |ref|) (erf error ≤ 3e-7 plus f32 rounding).</summary>
    private const double ActivationTolerance = 2e-6;
    /// <summary>Absolute error of the f32 vector erf against the double series/continued fraction.</summary>
    private const double VectorErfTolerance = 1e-6;
    /// <summary>ActivationMath.Erf is documented to 1e-12; the known values are given to 16 digits.</summary>
    private const double DoubleErfTolerance = 1e-12;

    private static readonly ReferenceKernels Ref = ReferenceKernels.Instance;

    public static TheoryData<double, double> KnownErfValues => new()
    {
        { 0.5, 0.5204998778130465 }, { 1.0, 0.8427007929497149 }, { 2.0, 0.9953222650189527 },
        { -3.0, -0.9999779095030014 }, { 0.0, 0.0 },
    };

    [Theory]
    [MemberData(nameof(KnownErfValues))]
    public void ActivationMathErf_KnownValues(double x, double erf)
        => Assert.True(Math.Abs(ActivationMath.Erf(x) - erf) <= DoubleErfTolerance, $"erf({x}) = {ActivationMath.Erf(x)}, expected {erf}");

    [Theory]
    [MemberData(nameof(KnownErfValues))]
    public void VectorErf_KnownValues(double x, double erf)
    {
        float got = CpuActivations.Erf(Vector512.Create((float)x)).GetElement(0);
        Assert.True(Math.Abs(got - erf) <= VectorErfTolerance, $"erf({x}) = {got}, expected {erf}");
    }

    [Fact]
    public void VectorErf_OverMinus7To7_WithinAbsoluteToleranceOfDoubleErf()
    {
        double worst = 0, worstX = 0;
        var lanes = new float[16];
        for (int i = -70000; i <= 70000; i += 16)
        {
            for (int l = 0; l < 16; l++) lanes[l] = (i + l) * 1e-4f;
            var got = CpuActivations.Erf(Vector512.Create(lanes));
            for (int l = 0; l < 16; l++)
            {
                double err = Math.Abs(got.GetElement(l) - ActivationMath.Erf(lanes[l]));
                if (err > worst) { worst = err; worstX = lanes[l]; }
            }
        }
        Assert.True(worst <= VectorErfTolerance, $"max |erf error| {worst:E2} at x = {worstX}");
    }

    public static TheoryData<Activation, int> ActivationCases()
    {
        var data = new TheoryData<Activation, int>();
        foreach (var act in Enum.GetValues<Activation>())
        foreach (int n in new[] { 1, 15, 16, 17, 1000, 100_003 })
            data.Add(act, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(ActivationCases))]
    public void Activate_MatchesReferenceElementwise(Activation activation, int count)
    {
        var rng = new Random(count + (int)activation * 7919);
        var x = Random(rng, 8f, count);
        var s = x.Span;
        float[] specials = [0f, -0f, 1e-8f, -1e-8f, 20f, -20f, 100f, -100f, 0.5f * MathF.Sqrt(2f), -0.5f * MathF.Sqrt(2f)];
        for (int i = 0; i < Math.Min(count, specials.Length); i++) s[i * (count / Math.Min(count, specials.Length))] = specials[i];
        var expected = Poisoned(count);
        var actual = Poisoned(count);
        Ref.Activate(activation, x, expected);
        CpuKernels.Instance.Activate(activation, x, actual);
        AssertElementsClose(expected.Span, actual.Span, ActivationTolerance, $"{activation} over {count}");
    }

    [Theory]
    [InlineData(Activation.GeluErf)]
    [InlineData(Activation.Silu)]
    public void Activate_InPlace_MatchesReference(Activation activation)
    {
        var x = Random(new Random(8), 6f, 3, 41);
        var expected = Poisoned(3, 41);
        Ref.Activate(activation, x, expected);
        CpuKernels.Instance.Activate(activation, x, x);
        AssertElementsClose(expected.Span, x.Span, ActivationTolerance, $"{activation} in place");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(1000)]
    [InlineData(70_001)]
    public void SwiGlu_MatchesReference_AlsoWritingOverEitherInput(int count)
    {
        var rng = new Random(count);
        var gate = Random(rng, 6f, count);
        var up = Random(rng, 2f, count);
        var expected = Poisoned(count);
        Ref.SwiGlu(gate, up, expected);

        var actual = Poisoned(count);
        CpuKernels.Instance.SwiGlu(gate, up, actual);
        AssertElementsClose(expected.Span, actual.Span, ActivationTolerance, "swiglu");

        var g1 = gate.Clone();
        CpuKernels.Instance.SwiGlu(g1, up, g1);
        AssertElementsClose(expected.Span, g1.Span, ActivationTolerance, "swiglu into gate");

        var u1 = up.Clone();
        CpuKernels.Instance.SwiGlu(gate, u1, u1);
        AssertElementsClose(expected.Span, u1.Span, ActivationTolerance, "swiglu into up");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(100_000)]
    public void Add_IsExact_AlsoWritingOverEitherInput(int count)
    {
        var rng = new Random(count * 3);
        var a = Random(rng, 5f, count);
        var b = Random(rng, 5f, count);
        var expected = Poisoned(count);
        Ref.Add(a, b, expected);

        var actual = Poisoned(count);
        CpuKernels.Instance.Add(a, b, actual);
        Assert.Equal(expected.Span.ToArray(), actual.Span.ToArray());

        var a1 = a.Clone();
        CpuKernels.Instance.Add(a1, b, a1);
        Assert.Equal(expected.Span.ToArray(), a1.Span.ToArray());

        var b1 = b.Clone();
        CpuKernels.Instance.Add(a, b1, b1);
        Assert.Equal(expected.Span.ToArray(), b1.Span.ToArray());
    }

    [Fact]
    public void Activate_CountMismatch_ThrowsShapeException()
        => Assert.Throws<ShapeException>(() => CpuKernels.Instance.Activate(Activation.Relu, Tensor.Zeros(3), Tensor.Zeros(4)));
}
