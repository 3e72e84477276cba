using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Runtime;
using Xunit;

namespace EdgePruning.Tests.Models;

public class TransformerOnBackendTests
{
    public static TheoryData<string> Families => new() { "gpt2", "llama", "tracr" };

    private static TransformerConfig Config(string family) => family switch
    {
        "gpt2" => RandomModels.Gpt2Like(),
        "llama" => RandomModels.LlamaLike(),
        _ => RandomModels.TracrLike(),
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void ForwardOnABackendEqualsTheHostForward(string family)
    {
        var c = Config(family);
        var weights = RandomModels.Weights(c, seed: 5);
        int[] tokens = [1, 2, 3, 4, 0, 5, 1, 2];
        var expected = new Transformer(c, weights, new ReferenceKernels()).Forward(tokens, batch: 2).ToArray();

        using var backend = new CpuKernelBackend(new ReferenceKernels());
        var model = Transformer.OnBackend(c, weights, backend, DType.F32);
        Assert.NotSame(weights.Layers[0].Wq, model.Weights.Layers[0].Wq);
        var actual = backend.Download(model.Forward(tokens, batch: 2)).ToArray();
        Assert.Equal(expected, actual);
    }

    // Tracr attends both ways, so only the causal families decode incrementally.
    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void DecodingWithABackendCacheEqualsTheFullForward(string family)
    {
        var c = Config(family);
        var weights = RandomModels.Weights(c, seed: 6);
        int[] tokens = [1, 2, 3, 4, 2];
        using var backend = new CpuKernelBackend(CpuKernels.Instance);
        var model = Transformer.OnBackend(c, weights, backend, DType.F32);
        var full = backend.Download(model.Forward(tokens, batch: 1)).Row(0).Row(tokens.Length - 1).ToArray();

        var cache = new KvCache(c, 1, tokens.Length, backend, DType.F32);
        model.Forward(tokens.AsSpan(0, 3), 1, cache);
        model.Forward(tokens.AsSpan(3, 1), 1, cache);
        var last = backend.Download(model.Forward(tokens.AsSpan(4, 1), 1, cache)).ToArray();
        for (int i = 0; i < full.Length; i++) Assert.Equal(full[i], last[i], 1e-5f);
    }

    [Fact]
    public void TiedReadoutStaysOneTensorAfterMapping()
    {
        var c = RandomModels.Gpt2Like();
        var weights = RandomModels.Weights(c, seed: 7);
        var tied = new TransformerWeights
        {
            TokenEmbedding = weights.TokenEmbedding, PositionEmbedding = weights.PositionEmbedding, Layers = weights.Layers,
            FinalNormWeight = weights.FinalNormWeight, FinalNormBias = weights.FinalNormBias, Unembedding = weights.TokenEmbedding,
        };
        int copies = 0;
        var mapped = tied.Map(t => { copies++; return t.Clone(); });
        Assert.Same(mapped.TokenEmbedding, mapped.Unembedding);
        Assert.NotSame(tied.TokenEmbedding, mapped.TokenEmbedding);
        Assert.Equal(tied.Layers.Sum(l => l.Named().Count(n => n.Tensor is not null)) + 4, copies);
    }
}
