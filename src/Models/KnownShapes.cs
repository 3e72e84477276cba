using EdgePruning.Kernels;

namespace EdgePruning.Models;

/// <summary>Configs of well-known models, for random-weight tests and benchmarks (no download needed).</summary>
public static class KnownShapes
{
    public static TransformerConfig Gpt2Small() => Gpt2(layers: 12, heads: 12, dim: 768);

    public static TransformerConfig Gpt2(int layers, int heads, int dim, int vocab = 50257, int positions = 1024) => new()
    {
        Family = ModelFamily.Gpt2, Layers = layers, Heads = heads, ModelDim = dim, HeadDim = dim / heads,
        MlpDim = 4 * dim, VocabSize = vocab, MaxSeqLen = positions, Norm = NormKind.LayerNorm, NormEps = 1e-5f,
        MlpActivation = Activation.GeluTanh, LearnedPositions = true, TiedEmbeddings = true,
        AttentionBias = true, MlpBias = true, BosTokenId = 50256 % vocab, EosTokenId = 50256 % vocab,
    };

    /// <summary>llama2.c's stories15M: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000.</summary>
    public static TransformerConfig Stories15M() => Llama(layers: 6, heads: 6, kvHeads: 6, dim: 288, mlp: 768, vocab: 32000, positions: 256);

    public static TransformerConfig Llama7B() => Llama(layers: 32, heads: 32, kvHeads: 32, dim: 4096, mlp: 11008, vocab: 32000, positions: 4096);

    /// <summary>CodeLlama-13B: 40 layers, 40 heads, d 5120, MLP 13824, vocab 32016, RoPE θ = 1e6.</summary>
    public static TransformerConfig CodeLlama13B() =>
        Llama(layers: 40, heads: 40, kvHeads: 40, dim: 5120, mlp: 13824, vocab: 32016, positions: 16384) with { RopeTheta = 1_000_000f };

    public static TransformerConfig Llama(int layers, int heads, int kvHeads, int dim, int mlp, int vocab, int positions) => new()
    {
        Family = ModelFamily.Llama, Layers = layers, Heads = heads, KvHeads = kvHeads, ModelDim = dim, HeadDim = dim / heads,
        MlpDim = mlp, VocabSize = vocab, MaxSeqLen = positions, Norm = NormKind.RmsNorm, NormEps = 1e-5f,
        MlpActivation = Activation.Silu, GatedMlp = true, Rope = true, BosTokenId = 1, EosTokenId = 2,
    };

    public static TransformerConfig? ByName(string name) => name.ToLowerInvariant() switch
    {
        "gpt2" or "gpt2-small" => Gpt2Small(),
        "stories15m" => Stories15M(),
        "llama-7b" or "llama7b" => Llama7B(),
        "codellama-13b" or "codellama13b" => CodeLlama13B(),
        _ => null,
    };
}
