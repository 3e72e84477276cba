using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Tests;

/// <summary>Small models with seeded random weights, for invariants that hold for any weights.</summary>
public static class RandomModels
{
    public static TransformerConfig Gpt2Like(int layers = 2, int heads = 3, int dim = 12, int vocab = 17, int positions = 16) =>
        KnownShapes.Gpt2(layers, heads, dim, vocab, positions) with { MlpActivation = Activation.GeluErf };

    public static TransformerConfig LlamaLike(int layers = 2, int heads = 4, int kvHeads = 2, int dim = 16, int vocab = 19) =>
        KnownShapes.Llama(layers, heads, kvHeads, dim, mlp: 24, vocab, positions: 32);

    public static TransformerConfig TracrLike(int layers = 2, int dim = 10, int vocab = 6) => new()
    {
        Family = ModelFamily.Tracr, Layers = layers, Heads = 1, ModelDim = dim, HeadDim = 4, MlpDim = 7, VocabSize = vocab,
        OutputSize = 3, MaxSeqLen = 8, Norm = NormKind.None, MlpActivation = Activation.Relu, LearnedPositions = true,
        Causal = false, AttentionBias = true, MlpBias = true, Readout = ReadoutKind.Projection, PadTokenId = vocab - 1,
    };

    public static TransformerWeights Weights(TransformerConfig c, int seed, float scale = 0.3f)
    {
        var rng = new Random(seed);
        Tensor R(params int[] dims)
        {
            var t = Tensor.Empty(DType.F32, dims);
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
            return t;
        }
        Tensor N(int dim)
        {
            var t = Tensor.Empty(DType.F32, dim);
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] = 1f + (float)((rng.NextDouble() * 2 - 1) * 0.1);
            return t;
        }
        int d = c.ModelDim, hq = c.Heads * c.HeadDim, hk = c.EffectiveKvHeads * c.HeadDim, hv = c.EffectiveKvHeads * c.EffectiveValueDim;
        bool norm = c.Norm != NormKind.None, ln = c.Norm == NormKind.LayerNorm;
        var layers = new List<LayerWeights>();
        for (int l = 0; l < c.Layers; l++)
        {
            layers.Add(new LayerWeights
            {
                AttnNormWeight = norm ? N(d) : null, AttnNormBias = ln ? R(d) : null,
                Wq = R(hq, d), Bq = c.AttentionBias ? R(hq) : null,
                Wk = R(hk, d), Bk = c.AttentionBias ? R(hk) : null,
                Wv = R(hv, d), Bv = c.AttentionBias ? R(hv) : null,
                Wo = R(d, c.Heads * c.EffectiveValueDim), Bo = c.AttentionBias ? R(d) : null,
                MlpNormWeight = norm ? N(d) : null, MlpNormBias = ln ? R(d) : null,
                WUp = R(c.MlpDim, d), BUp = c.MlpBias ? R(c.MlpDim) : null,
                WGateUp = c.GatedMlp ? R(c.MlpDim, d) : null,
                WDown = R(d, c.MlpDim), BDown = c.MlpBias ? R(d) : null,
            });
        }
        var emb = R(c.VocabSize, d);
        return new TransformerWeights
        {
            TokenEmbedding = emb,
            PositionEmbedding = c.LearnedPositions ? R(c.MaxSeqLen, d) : null,
            Layers = layers,
            FinalNormWeight = norm ? N(d) : null,
            FinalNormBias = ln ? R(d) : null,
            Unembedding = c.TiedEmbeddings ? emb : R(c.EffectiveOutputSize, d),
        };
    }

    public static int[] Tokens(int count, int vocab, int seed, int exclude = -1)
    {
        var rng = new Random(seed);
        var t = new int[count];
        for (int i = 0; i < count; i++)
        {
            do t[i] = rng.Next(vocab); while (t[i] == exclude);
        }
        return t;
    }
}
