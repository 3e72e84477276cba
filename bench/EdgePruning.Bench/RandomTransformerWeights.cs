using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

/// <summary>
/// In-memory random weights for any <see cref="TransformerConfig"/>, for speed measurements only:
/// matrices and embeddings N(0, 0.02), norm weights 1, biases 0, tied readout when the config says so.
/// </summary>
public static class RandomTransformerWeights
{
    public static TransformerWeights Create(TransformerConfig c, ulong seed)
    {
        var rng = new Random(unchecked((int)seed));
        Tensor Normal(params int[] dims)
        {
            var t = Tensor.Empty(DType.F32, dims);
            var s = t.Span;
            for (int i = 0; i < s.Length; i += 2)
            {
                // Box–Muller: two normals per pair of uniforms.
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                double r = 0.02 * Math.Sqrt(-2.0 * Math.Log(u1));
                s[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
                if (i + 1 < s.Length) s[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
            }
            return t;
        }
        Tensor Ones(int n)
        {
            var t = Tensor.Empty(DType.F32, n);
            t.Fill(1f);
            return t;
        }
        Tensor? ZerosIf(bool present, int n) => present ? Tensor.Zeros(n) : null;

        int d = c.ModelDim, hq = c.Heads * c.HeadDim, hk = c.EffectiveKvHeads * c.HeadDim;
        int hv = c.EffectiveKvHeads * c.EffectiveValueDim, ho = c.Heads * c.EffectiveValueDim;
        bool norm = c.Norm != NormKind.None, ln = c.Norm == NormKind.LayerNorm;
        var layers = new LayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            layers[l] = new LayerWeights
            {
                AttnNormWeight = norm ? Ones(d) : null, AttnNormBias = ZerosIf(ln, d),
                Wq = Normal(hq, d), Bq = ZerosIf(c.AttentionBias, hq),
                Wk = Normal(hk, d), Bk = ZerosIf(c.AttentionBias, hk),
                Wv = Normal(hv, d), Bv = ZerosIf(c.AttentionBias, hv),
                Wo = Normal(d, ho), Bo = ZerosIf(c.AttentionBias, d),
                MlpNormWeight = norm ? Ones(d) : null, MlpNormBias = ZerosIf(ln, d),
                WUp = Normal(c.MlpDim, d), BUp = ZerosIf(c.MlpBias, c.MlpDim),
                WGateUp = c.GatedMlp ? Normal(c.MlpDim, d) : null,
                WDown = Normal(d, c.MlpDim), BDown = ZerosIf(c.MlpBias, d),
            };
        }
        var embedding = Normal(c.VocabSize, d);
        return new TransformerWeights
        {
            TokenEmbedding = embedding,
            PositionEmbedding = c.LearnedPositions ? Normal(c.MaxSeqLen, d) : null,
            Layers = layers,
            FinalNormWeight = norm ? Ones(d) : null,
            FinalNormBias = ZerosIf(ln, d),
            Unembedding = c.TiedEmbeddings ? embedding : Normal(c.EffectiveOutputSize, d),
        };
    }
}
