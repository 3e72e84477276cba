namespace EdgePruning.Models.Loaders;

/// <summary>
/// The GPT-2 block layout shared by the Hugging Face and minGPT checkpoints: ln_1, fused c_attn (q|k|v
/// stacked along the outputs), c_proj, ln_2, mlp.c_fc, mlp.c_proj. The formats differ only in the name
/// prefix and in how a matrix is stored, which the caller's <c>matrix</c> reader hides.
/// </summary>
internal static class Gpt2Blocks
{
    /// <param name="prefix">Name prefix of block l (e.g. <c>h.{l}.</c> or <c>blocks.{l}.</c>).</param>
    /// <param name="matrix">Reads a weight as [out, in] given its name, out and in sizes.</param>
    /// <param name="vector">Reads a bias or norm vector given its name and length.</param>
    public static LayerWeights[] Read(TransformerConfig config, Func<int, string> prefix,
        Func<string, int, int, Runtime.Tensor> matrix, Func<string, int, Runtime.Tensor> vector, WeightSink? sink = null)
    {
        sink ??= WeightSink.Host;
        int d = config.ModelDim, f = config.MlpDim;
        var layers = new LayerWeights[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string p = prefix(l);
            var qkv = WeightLayout.SplitRows(matrix(p + "attn.c_attn.weight", 3 * d, d), 3);
            var qkvBias = WeightLayout.SplitRows(vector(p + "attn.c_attn.bias", 3 * d), 3);
            layers[l] = sink.TakeLayer(l, config.Layers, new LayerWeights
            {
                AttnNormWeight = vector(p + "ln_1.weight", d),
                AttnNormBias = vector(p + "ln_1.bias", d),
                Wq = qkv[0], Wk = qkv[1], Wv = qkv[2],
                Bq = qkvBias[0], Bk = qkvBias[1], Bv = qkvBias[2],
                Wo = matrix(p + "attn.c_proj.weight", d, d),
                Bo = vector(p + "attn.c_proj.bias", d),
                MlpNormWeight = vector(p + "ln_2.weight", d),
                MlpNormBias = vector(p + "ln_2.bias", d),
                WUp = matrix(p + "mlp.c_fc.weight", f, d),
                BUp = vector(p + "mlp.c_fc.bias", f),
                WDown = matrix(p + "mlp.c_proj.weight", d, f),
                BDown = vector(p + "mlp.c_proj.bias", d),
            });
        }
        return layers;
    }

    /// <summary>The whole model from its parts; the head counts as tied when it is the token embedding.</summary>
    public static (TransformerConfig Config, TransformerWeights Weights) Assemble(TransformerConfig config, Runtime.Tensor tokens,
        Runtime.Tensor positions, LayerWeights[] layers, Runtime.Tensor head, Runtime.Tensor finalNormWeight,
        Runtime.Tensor finalNormBias, string source)
    {
        config = config with { TiedEmbeddings = ReferenceEquals(head, tokens) };
        var weights = new TransformerWeights
        {
            TokenEmbedding = tokens, PositionEmbedding = positions, Layers = layers,
            FinalNormWeight = finalNormWeight, FinalNormBias = finalNormBias, Unembedding = head,
        };
        weights.Validate(config, source);
        return (config, weights);
    }
}
