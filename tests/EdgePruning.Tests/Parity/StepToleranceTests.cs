using EdgePruning.Kernels.Parity;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>
/// <see cref="ParityTolerances.ForStep"/> on the mask gradients of a real step (the host trainer on the self-test's tiny
/// models, with the term sizes it summed): it admits the oracle's own gradients and rejects them with an error planted
/// in every entry, 20 % under each arithmetic's tolerance and 0.1 % under true f32's.
/// </summary>
public class StepToleranceTests
{
    public static TheoryData<string, string> FamiliesAndArithmetic => new()
    {
        { "gpt2", "f32" }, { "gpt2", "tf32" }, { "gpt2", "bf16" },
        { "llama", "f32" }, { "llama", "tf32" }, { "llama", "bf16" },
    };

    private static SelfTestModel Model(string family) =>
        family == "gpt2" ? SelfTestModels.TinyGpt2(1, batch: 1, tokensPerSequence: 3) : SelfTestModels.TinyLlama(1, batch: 1, tokensPerSequence: 4);

    private static (Tensor Gradient, float[] Terms) OracleStep(SelfTestModel model, DType dtype)
    {
        var host = StepParity.HostOracle(model, dtype);
        var gradient = StepParity.Gradient(host, model);
        return (gradient, host.EdgeGradientTermSizes!.Span.ToArray());
    }

    private static ParityCheck Compare(Tensor expected, Tensor actual, DType dtype, bool tf32, float[] terms) =>
        ParityComparison.Compare("step", dtype, "planted", expected, actual, ParityTolerances.ForStep(dtype, tf32, terms), terms);

    private static Tensor Scaled(Tensor t, float factor)
    {
        var copy = t.Clone();
        System.Numerics.Tensors.TensorPrimitives.Multiply(copy.Span, factor, copy.Span);
        return copy;
    }

    [Theory]
    [MemberData(nameof(FamiliesAndArithmetic))]
    public void ForStep_RejectsATwentyPercentErrorInEveryMaskGradient(string family, string arithmetic)
    {
        var dtype = arithmetic == "bf16" ? DType.BF16 : DType.F32;
        bool tf32 = arithmetic == "tf32";
        var (gradient, terms) = OracleStep(Model(family), dtype);
        Assert.True(ParityTolerances.RootMeanSquare(gradient.Span) > 0, "the step's gradients should not all be zero");

        var exact = Compare(gradient, gradient.Clone(), dtype, tf32, terms);
        var planted = Compare(gradient, Scaled(gradient, 1.2f), dtype, tf32, terms);

        Assert.True(exact.Passed, exact.ToString());
        Assert.True(exact.Tolerance.ScalesWithTerms && exact.Tolerance.TermRtol == ParityTolerances.StepTermRtol(dtype, tf32), exact.Tolerance.ToString());
        Assert.Equal(ParityStatus.Failed, planted.Status);
        Assert.Contains("elements outside tolerance", planted.Detail);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void ForStepInF32_RejectsATenthOfAPercentErrorInEveryMaskGradient(string family)
    {
        var (gradient, terms) = OracleStep(Model(family), DType.F32);

        var planted = Compare(gradient, Scaled(gradient, 1.001f), DType.F32, tf32: false, terms);

        Assert.Equal(ParityStatus.Failed, planted.Status);
    }

    [Fact]
    public void AnEdgeWhoseTermsCancel_IsHeldToTheSizeOfItsTerms_NotToItsValue()
    {
        // 100 gradients of 1e-3: 99 are sums of terms of total size 1e-3, the last a cancelling sum of terms of size 1.
        var values = Enumerable.Repeat(1e-3f, 100).ToArray();
        var terms = Enumerable.Repeat(1e-3f, 100).ToArray();
        terms[^1] = 1f;
        var expected = Tensor.FromData(values, 100);
        var tolerance = ParityTolerances.ForStep(DType.BF16, tf32: false, terms);
        Tensor Off(int at, float by)
        {
            var t = expected.Clone();
            t.Span[at] += by;
            return t;
        }

        // 5e-3 is five times the value: within 1e-2 of the last entry's terms, beyond 1e-2 of the others' (plus the typical size, 0.1).
        var cancelling = ParityComparison.Compare("step", DType.BF16, "100", expected, Off(99, 5e-3f), tolerance, terms);
        var plain = ParityComparison.Compare("step", DType.BF16, "100", expected, Off(0, 5e-3f), tolerance, terms);

        Assert.True(cancelling.Passed, cancelling.ToString());
        Assert.Equal(ParityStatus.Failed, plain.Status);
        Assert.Contains("worst at 0", plain.Detail);
    }

    [Fact]
    public void ATermScaledTolerance_WithoutTermSizes_IsRefused()
    {
        var t = Tensor.FromData([1f], 1);
        var e = Assert.Throws<ArgumentException>(() => ParityComparison.Compare("step", DType.F32, "1", t, t, ParityTolerances.ForStep(DType.F32, false, [1f])));
        Assert.Contains("needs one per element", e.Message);
    }
}
