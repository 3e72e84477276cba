using EdgePruning.Autodiff;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// The ways of computing a masked pass (<see cref="MaskedPassSettings"/>) against each other on the host: per-layer
/// recomputation runs the very same kernels again, so it must give the same bits; the fused read sums and
/// normalizes in another order, so it must agree to f32 rounding, and a fused backward that is 1% off must not.
/// </summary>
public class MaskedPassSettingsTests
{
    private const int Batch = 2, T = 5;

    /// <summary>f32 rounding through a two-layer pass on these tiny models is ~1e-6 of the RMS; a 1% fault is 1e-2.</summary>
    private const double FusedAgreement = 1e-4;

    private sealed record PassResult(float[] Logits, float[] EdgeGrad, float[] NodeGrad, float[] BaselineGrad, long ArenaHighWater);

    private static TransformerConfig Config(string family) => family switch
    {
        "gpt2" => RandomModels.Gpt2Like(layers: 3),
        "llama" => RandomModels.LlamaLike(layers: 3),
        _ => RandomModels.TracrLike(layers: 3),
    };

    private static EdgeMaskedModel Masked(string family, MaskedPassSettings settings, EdgePruning.Kernels.IKernelBackend? backend = null)
    {
        var config = Config(family);
        var weights = RandomModels.Weights(config, seed: 31);
        var model = backend is null
            ? new Transformer(config, weights, CpuKernels.Instance)
            : Transformer.Placed(config, weights, backend);
        return new EdgeMaskedModel(model, config.LearnedPositions ? 2 : 1) { Settings = settings };
    }

    /// <summary>A pass with interchange baseline, masks inside (0, 1), node masks and the baseline gradient, then its backward.</summary>
    private static PassResult Run(EdgeMaskedModel masked, bool arena = true, TensorArena? given = null)
    {
        var c = masked.Config;
        var clean = RandomModels.Tokens(Batch * T, c.VocabSize, seed: 41);
        var corrupted = RandomModels.Tokens(Batch * T, c.VocabSize, seed: 42);
        var scratch = given ?? (arena ? new TensorArena(1 << 16) : null);
        var baseline = masked.WriterOutputs(corrupted, Batch, scratch).Clone();
        var rng = new Random(43);
        var z = Tensor.Zeros(checked((int)masked.EdgeCount));
        foreach (ref var v in z.Span) v = 0.2f + 0.6f * rng.NextSingle();
        var m = Tensor.Zeros(masked.Writers);
        foreach (ref var v in m.Span) v = 0.5f + 0.5f * rng.NextSingle();
        var tape = new Tape();
        var pass = masked.Forward(clean, Batch, baseline, z, m, tape, scratch, baselineGrad: true);
        foreach (ref var v in pass.LogitsGrad.Span) v = rng.NextSingle() - 0.5f;
        tape.Backward();
        return new PassResult(pass.Logits.Span.ToArray(), pass.EdgeGrad.Span.ToArray(), pass.NodeGrad.Span.ToArray(),
            pass.BaselineGrad!.Span.ToArray(), scratch?.HighWaterBytes ?? 0);
    }

    public static TheoryData<string, string> FamiliesAndReads => new()
    {
        { "gpt2", "unfused" }, { "gpt2", "fused" }, { "llama", "unfused" }, { "llama", "fused" }, { "tracr", "unfused" },
    };

    [Theory]
    [MemberData(nameof(FamiliesAndReads))]
    public void Recompute_GivesTheSameValuesAndGradients_BitForBit_WithLessScratch(string family, string read)
    {
        var path = read == "fused" ? MaskedReadPath.Fused : MaskedReadPath.Unfused;
        var kept = Run(Masked(family, new MaskedPassSettings(path)));
        var recomputed = Run(Masked(family, new MaskedPassSettings(path, Recompute: true)));
        Assert.Equal(kept.Logits, recomputed.Logits);
        Assert.Equal(kept.EdgeGrad, recomputed.EdgeGrad);
        Assert.Equal(kept.NodeGrad, recomputed.NodeGrad);
        Assert.Equal(kept.BaselineGrad, recomputed.BaselineGrad);
        Assert.Contains(kept.EdgeGrad, g => g != 0);
        Assert.True(recomputed.ArenaHighWater < kept.ArenaHighWater,
            $"recomputing layers holds {recomputed.ArenaHighWater:N0} B of scratch, keeping them {kept.ArenaHighWater:N0} B");
    }

    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("llama", false)]
    [InlineData("gpt2", true)]
    public void Recompute_WithoutAnArena_GivesTheSameGradients(string family, bool fused)
    {
        var path = fused ? MaskedReadPath.Fused : MaskedReadPath.Unfused;
        var kept = Run(Masked(family, new MaskedPassSettings(path)), arena: false);
        var recomputed = Run(Masked(family, new MaskedPassSettings(path, Recompute: true)), arena: false);
        Assert.Equal(kept.EdgeGrad, recomputed.EdgeGrad);
        Assert.Equal(kept.NodeGrad, recomputed.NodeGrad);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void FusedRead_AgreesWithTheUnfusedRead(string family)
    {
        var unfused = Run(Masked(family, new MaskedPassSettings(MaskedReadPath.Unfused)));
        var fused = Run(Masked(family, new MaskedPassSettings(MaskedReadPath.Fused)));
        AssertClose("logits", unfused.Logits, fused.Logits);
        AssertClose("edge gradient", unfused.EdgeGrad, fused.EdgeGrad);
        AssertClose("node gradient", unfused.NodeGrad, fused.NodeGrad);
        AssertClose("baseline gradient", unfused.BaselineGrad, fused.BaselineGrad);
        Assert.True(fused.ArenaHighWater < unfused.ArenaHighWater,
            $"the fused read holds {fused.ArenaHighWater:N0} B of scratch, the unfused {unfused.ArenaHighWater:N0} B");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void FusedRead_WithABackwardOnePercentOff_DisagreesWithTheUnfusedRead(string family)
    {
        var unfused = Run(Masked(family, new MaskedPassSettings(MaskedReadPath.Unfused)));
        var skewed = Run(Masked(family, new MaskedPassSettings(MaskedReadPath.Fused), new Parity.ReplacedSetBackend(maskedRead: new SkewedBackward())));
        Assert.Equal(unfused.Logits.Length, skewed.Logits.Length);
        Assert.True(RelativeError(unfused.EdgeGrad, skewed.EdgeGrad) > FusedAgreement,
            $"a 1% wrong fused backward went unnoticed: {RelativeError(unfused.EdgeGrad, skewed.EdgeGrad):E2}");
    }

    /// <summary>
    /// A pass takes uninitialized scratch for the tensors it overwrites whole: with the arena full of NaN left over
    /// from earlier work, every value and gradient must still come out as from fresh memory.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamiliesAndReads))]
    public void ScratchLeftOverFromEarlierWork_DoesNotReachAPass(string family, string read)
    {
        foreach (bool recompute in new[] { false, true })
        {
            var settings = new MaskedPassSettings(read == "fused" ? MaskedReadPath.Fused : MaskedReadPath.Unfused, recompute);
            var fresh = Run(Masked(family, settings));
            var dirty = new TensorArena(1 << 16);
            dirty.Empty(checked((int)(4 * fresh.ArenaHighWater / sizeof(float)))).Fill(float.NaN);
            dirty.Reset();
            var again = Run(Masked(family, settings), given: dirty);
            Assert.Equal(fresh.Logits, again.Logits);
            Assert.Equal(fresh.EdgeGrad, again.EdgeGrad);
            Assert.Equal(fresh.NodeGrad, again.NodeGrad);
            Assert.Equal(fresh.BaselineGrad, again.BaselineGrad);
        }
    }

    [Fact]
    public void FusedRead_OnAModelWithoutNorms_IsAOneLineError()
    {
        var masked = Masked("tracr", new MaskedPassSettings(MaskedReadPath.Fused));
        var e = Assert.Throws<EdgePruningException>(() => Run(masked));
        Assert.Contains("fused masked read needs a LayerNorm or RMSNorm", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void AutoRead_IsUnfusedOnTheHost_AndFusedOnABackendModelWithNorms()
    {
        Assert.False(Masked("gpt2", MaskedPassSettings.Default).FusedReads);
        Assert.True(Masked("gpt2", new MaskedPassSettings(MaskedReadPath.Fused)).FusedReads);
        Assert.False(Masked("tracr", MaskedPassSettings.Default).FusedReads);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void WriterOutputs_AreTheOutputsOfAFullForward(string family)
    {
        var masked = Masked(family, MaskedPassSettings.Default);
        var tokens = RandomModels.Tokens(Batch * T, masked.Config.VocabSize, seed: 44);
        var arena = new TensorArena(1 << 16);
        var outputs = masked.WriterOutputs(tokens, Batch, arena).Span.ToArray();
        long outputsOnly = arena.HighWaterBytes;
        var full = new TensorArena(1 << 16);
        Assert.Equal(masked.Forward(tokens, Batch, arena: full).Outputs.Span.ToArray(), outputs);
        Assert.True(outputsOnly < full.HighWaterBytes, $"writer outputs took {outputsOnly:N0} B, a full forward {full.HighWaterBytes:N0} B");
    }

    private static void AssertClose(string what, float[] expected, float[] actual)
    {
        double error = RelativeError(expected, actual);
        Assert.True(error <= FusedAgreement, $"{what}: fused read differs from the unfused by {error:E2} of the RMS (allowed {FusedAgreement:E0})");
    }

    /// <summary>max |a − b| over the RMS of a.</summary>
    private static double RelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double rms = Math.Sqrt(expected.Sum(v => (double)v * v) / expected.Length), max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        Assert.True(rms > 0, "all-zero reference values");
        return max / rms;
    }

    /// <summary>The host fused read with its output gradient scaled by 1.01 before the backward.</summary>
    private sealed class SkewedBackward : IMaskedReadKernels
    {
        private readonly IMaskedReadKernels _inner = new CpuKernelBackend().MaskedRead;

        public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd) =>
            _inner.Forward(z, stack, corrupted, norm, y, mean, rstd);

        public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
            Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
        {
            var scaled = outputGrad.Clone();
            foreach (ref var v in scaled.Span) v *= 1.01f;
            _inner.Backward(z, stack, corrupted, norm, mean, rstd, scaled, dz, dStack, dCorrupted);
        }
    }
}
