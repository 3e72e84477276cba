using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Parity;
using EdgePruning.Models;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

public class ModelParityTests
{
    private static SelfTestModel SmallGpt2(int seed = 3)
    {
        var config = RandomModels.Gpt2Like(layers: 2, heads: 3, dim: 12, vocab: 17, positions: 16);
        return new SelfTestModel("gpt2-like", config, RandomModels.Weights(config, seed), 2, [1, 5, 9, 16, 0, 3, 3, 7]);
    }

    [Fact]
    public void RandomGpt2Small_OnCpu_MatchesTheReferenceForward()
    {
        using var backend = new CpuKernelBackend();
        var model = SelfTestModels.RandomGpt2Small(seed: 11, batch: 1, tokensPerSequence: 3);
        Assert.Equal(12, model.Config.Layers);
        Assert.Equal(768, model.Config.ModelDim);

        var check = ModelParity.Check(backend, model, DType.F32, onDevice: false);

        Assert.True(check.Passed, $"{check.Detail}; rel {check.MaxRelError:E2}, tolerance {check.Tolerance}");
        Assert.Equal(ParityTolerances.F32 * ParityTolerances.ModelGrowth(12), check.Tolerance.Rtol, 12);
        Assert.True(check.MaxAbsError > 0, "the CPU and reference kernels sum in different orders; identical logits suggest one ran twice");
    }

    [SharedFact]
    public void SharedModels_OnCpu_MatchTheReferenceForward()
    {
        var models = SelfTestModels.FromFolder(SharedData.Models, seed: 5);
        // Every model we know of is found; a model added to the folder later is checked too, not refused.
        var names = models.Select(m => m.Name).ToArray();
        Assert.Subset(names.ToHashSet(),
            new HashSet<string> { "aidreams260K/aidreams260K.bin", "gpt2-tasks", "slm4096-gpt/slm4096.safetensors",
                "stories260K/stories260K.bin", "tracr/reverse.safetensors", "tracr/xproportion.safetensors" });

        using var backend = new CpuKernelBackend();
        var checks = ModelParity.Run(backend, models);

        Assert.Equal(models.Count, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, $"{c.Name}: {c.Detail}"));
    }

    [SharedFact]
    public void SharedModels_PassForManySeeds_TheirTokensKeptToOrdinaryInputs()
    {
        // With BOS or PAD inside a sequence a Tracr program is off its inputs and its outputs are near-zero noise.
        using var backend = new CpuKernelBackend();
        for (int seed = 0; seed < 20; seed++)
            foreach (var c in ModelParity.Run(backend, SelfTestModels.FromFolder(SharedData.Models, seed)))
                Assert.True(c.Passed, $"seed {seed} {c.Name}: {c.Detail}");
    }

    [SharedFact]
    public void Tokens_StartWithBos_AndTheSecondSequenceEndsInPad_WhereTheModelHasThem()
    {
        var tracr = SelfTestModels.FromFolder(SharedData.Models, seed: 5).Single(m => m.Name == "tracr/reverse.safetensors");
        int t = tracr.TokensPerSequence;
        Assert.True(t >= 2);
        Assert.Equal(tracr.Config.BosTokenId, tracr.Tokens[0]);
        Assert.Equal(tracr.Config.BosTokenId, tracr.Tokens[t]);
        Assert.Equal(tracr.Config.PadTokenId, tracr.Tokens[2 * t - 1]);
        int[] inner = [.. tracr.Tokens[1..(t - 1)], .. tracr.Tokens[(t + 1)..(2 * t - 1)]];
        Assert.DoesNotContain(tracr.Config.BosTokenId, inner);
        Assert.DoesNotContain(tracr.Config.PadTokenId, inner);
    }

    [Fact]
    public void LayerNormOffByOneHundredth_FailsTheModelCheck()
    {
        using var backend = new CpuKernelBackend(new FaultyKernels(CpuKernels.Instance, KernelFault.LayerNormOffset));
        var check = ModelParity.Check(backend, SmallGpt2(), DType.F32, onDevice: false);
        Assert.Equal(ParityStatus.Failed, check.Status);
        Assert.Contains("outside tolerance", check.Detail);
    }

    [Fact]
    public void DeviceBackend_TheTransformerCannotUseYet_IsNotRunWithTheReason()
    {
        using var backend = new FakeDeviceBackend();
        Assert.True(KernelParitySuite.OnDevice(backend));
        var checks = ModelParity.Run(backend, [SmallGpt2()]);
        var check = Assert.Single(checks);
        Assert.Equal(ParityStatus.NotRun, check.Status);
        Assert.StartsWith("not supported on this backend", check.Detail);
        Assert.Contains("fake:0", check.Detail);
    }

    [Fact]
    public void OnTheHostInF32_AShapeErrorIsAFailureNotANotRun()
    {
        using var backend = new CpuKernelBackend();
        var good = SmallGpt2();
        var bad = good with { Tokens = [1, 2, 3] }; // three tokens do not split into two sequences
        var check = ModelParity.Check(backend, bad, DType.F32, onDevice: false);
        Assert.Equal(ParityStatus.Failed, check.Status);
        Assert.Contains("ShapeException", check.Detail);
    }

    [Fact]
    public void UploadedWeights_KeepATiedReadoutTied()
    {
        using var backend = new CpuKernelBackend();
        var model = SmallGpt2();
        Assert.Same(model.Weights.TokenEmbedding, model.Weights.Unembedding);
        var uploaded = WeightPlacement.Upload(backend, model.Weights, DType.F32);
        Assert.Same(uploaded.TokenEmbedding, uploaded.Unembedding);
        Assert.NotSame(model.Weights.TokenEmbedding, uploaded.TokenEmbedding);
        Assert.Equal(model.Weights.Layers[1].WDown.ToArray(), uploaded.Layers[1].WDown.ToArray());

        var rounded = WeightPlacement.Rounded(model.Weights, DType.BF16);
        Assert.Same(rounded.TokenEmbedding, rounded.Unembedding);
        Assert.Equal(model.Weights.Layers[0].Wq.To(DType.BF16).ToArray(), rounded.Layers[0].Wq.ToArray());
    }
}
