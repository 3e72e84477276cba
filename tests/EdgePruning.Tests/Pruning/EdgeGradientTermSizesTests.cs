using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary><see cref="EdgeMaskedModel.EdgeGradientTermSizes"/>: the sizes of the terms each edge gradient of a step sums.</summary>
public class EdgeGradientTermSizesTests
{
    [Fact]
    public void EveryEdgeGradient_IsAtMostTheSizeOfItsTerms_AndSomeCancelFarBelowIt()
    {
        var model = SelfTestModels.TinyGpt2(1, batch: 1, tokensPerSequence: 3);
        var host = StepParity.HostOracle(model, DType.F32);

        var gradient = StepParity.Gradient(host, model).Span.ToArray();
        var terms = host.EdgeGradientTermSizes!.Span.ToArray();

        Assert.Contains(gradient, g => g != 0);
        for (int i = 0; i < gradient.Length; i++)
            Assert.True(Math.Abs(gradient[i]) <= terms[i] * (1 + 1e-5), $"edge {host.Layout.EdgeName(i)}: gradient {gradient[i]}, terms of size {terms[i]}");
        // m1 → logits: the MLP's output barely moves between the clean and the corrupted run, so its terms cancel.
        int last = gradient.Length - 1;
        Assert.Equal("m1->logits", host.Layout.EdgeName(last));
        Assert.True(terms[last] > 100 * Math.Abs(gradient[last]), $"terms {terms[last]}, gradient {gradient[last]}");
    }

    [Fact]
    public void OnTheFusedRead_IsAOneLineError()
    {
        var model = SelfTestModels.TinyGpt2(1, batch: 1, tokensPerSequence: 3);
        var host = StepParity.HostOracle(model, DType.F32);
        host.Settings = new MaskedPassSettings(MaskedReadPath.Fused);

        var e = Assert.Throws<EdgePruningException>(() => StepParity.Gradient(host, model));

        Assert.Contains("term sizes are summed only by an f32 model on the host reading unfused", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
