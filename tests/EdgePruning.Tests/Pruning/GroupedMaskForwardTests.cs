using EdgePruning.Autodiff;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// Grouped edge masks [G, edges]: one masked forward over G copies of a batch, copy g under masks row g, gives each
/// copy the logits that a forward of the batch alone under those masks gives, on every read path and on the device.
/// </summary>
public class GroupedMaskForwardTests
{
    /// <summary>f32 sums over a wider batch in another order: a few ulps of logits of order 1.</summary>
    private const float Tolerance = 2e-5f;

    public static TheoryData<string, int, MaskedReadPath> Cases() => new()
    {
        { "gpt2", 2, MaskedReadPath.Unfused }, { "gpt2", 2, MaskedReadPath.Fused }, { "gpt2", 0, MaskedReadPath.Fused },
        { "llama-gqa", 1, MaskedReadPath.Unfused }, { "llama-gqa", 1, MaskedReadPath.Fused }, { "tracr", 2, MaskedReadPath.Unfused },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachCopy_GetsTheLogitsOfItsMasksAlone(string family, int embeddingNodes, MaskedReadPath read)
    {
        var config = Config(family);
        var model = new Transformer(config, RandomModels.Weights(config, 21), CpuKernels.Instance);
        var masked = new EdgeMaskedModel(model, embeddingNodes) { Settings = new MaskedPassSettings(read) };
        var (clean, baseline, masks, batch) = Inputs(masked, config, groups: 3);
        var grouped = masked.Forward(Repeat(clean, 3), 3 * batch, Repeat(baseline, 3), masks).Logits;
        for (int g = 0; g < 3; g++)
        {
            var alone = masked.Forward(clean, batch, baseline, masks.Row(g).Reshape(-1)).Logits;
            AssertClose(alone.Span, grouped.Rows(g * batch, batch).Span, $"{family} e={embeddingNodes} {read}: copy {g}");
        }
    }

    [Fact]
    public void GroupedMasks_RefuseATape()
    {
        var config = Config("gpt2");
        var masked = new EdgeMaskedModel(new Transformer(config, RandomModels.Weights(config, 5), CpuKernels.Instance), 2);
        var (clean, baseline, masks, batch) = Inputs(masked, config, groups: 2);
        var e = Assert.Throws<EdgePruningException>(() => masked.Forward(Repeat(clean, 2), 2 * batch, Repeat(baseline, 2), masks, tape: new Tape()));
        Assert.Contains("forward passes only", e.Message);
    }

    /// <summary>The device pass (fused reads for GPT-2, unfused for Tracr, which has no norms) against the host pass of each copy alone.</summary>
    [CudaFact]
    public void OnTheDevice_EachCopyGetsTheHostLogitsOfItsMasks()
    {
        using var backend = KernelBackends.Open("cuda");
        foreach (var (family, read) in new[] { ("gpt2", MaskedReadPath.Auto), ("gpt2", MaskedReadPath.Unfused), ("tracr", MaskedReadPath.Auto) })
        {
            var config = Config(family);
            var weights = RandomModels.Weights(config, 31);
            var host = new EdgeMaskedModel(new Transformer(config, weights, CpuKernels.Instance), 2);
            var device = new EdgeMaskedModel(Transformer.OnBackend(config, weights, backend, DType.F32), 2) { Settings = new MaskedPassSettings(read) };
            var (clean, baseline, masks, batch) = Inputs(host, config, groups: 4);
            using var scope = backend.OpenScope();
            var onDevice = BackendCopies.ToModel(device, Repeat(baseline, 4), scope);
            var logits = backend.Download(device.Forward(Repeat(clean, 4), 4 * batch, onDevice, BackendCopies.ToModel(device, masks, scope), scope: scope).Logits);
            for (int g = 0; g < 4; g++)
            {
                var alone = host.Forward(clean, batch, baseline, masks.Row(g).Reshape(-1)).Logits;
                AssertClose(alone.Span, logits.Rows(g * batch, batch).Span, $"{family} {read} on the device: copy {g}");
            }
        }
    }

    private static TransformerConfig Config(string family) => family switch
    {
        "gpt2" => RandomModels.Gpt2Like(),
        "llama-gqa" => RandomModels.LlamaLike(),
        _ => RandomModels.TracrLike(),
    };

    /// <summary>Two sequences of 5 tokens, their corrupted run's outputs, and G rows of masks: row g drops a different third of the edges.</summary>
    private static (int[] Clean, Tensor Baseline, Tensor Masks, int Batch) Inputs(EdgeMaskedModel masked, TransformerConfig config, int groups)
    {
        const int batch = 2, T = 5;
        var clean = RandomModels.Tokens(batch * T, config.VocabSize, seed: 7, exclude: config.PadTokenId);
        var corrupted = RandomModels.Tokens(batch * T, config.VocabSize, seed: 8, exclude: config.PadTokenId);
        var baseline = masked.Forward(corrupted, batch).Outputs;
        int E = checked((int)masked.EdgeCount);
        var masks = Tensor.Zeros(groups, E);
        var s = masks.Span;
        for (int g = 0; g < groups; g++)
            for (int e = 0; e < E; e++) s[g * E + e] = (e + g) % 3 == 0 ? 0f : 1f;
        return (clean, baseline, masks, batch);
    }

    private static int[] Repeat(int[] tokens, int copies) => Enumerable.Repeat(tokens, copies).SelectMany(t => t).ToArray();

    /// <summary>ỹ [W, n·d] repeated per copy: [W, G·n·d] (on the host).</summary>
    private static Tensor Repeat(Tensor baseline, int copies)
    {
        int W = baseline.Shape[0], nd = baseline.Shape[1];
        var t = Tensor.Empty(DType.F32, W, copies * nd);
        for (int w = 0; w < W; w++)
            for (int g = 0; g < copies; g++) baseline.Row(w).Span.CopyTo(t.Row(w).Span.Slice(g * nd, nd));
        return t;
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * (1 + Math.Abs(expected[i])),
                $"{what}: logit {i}: {actual[i]} against {expected[i]}");
    }
}
