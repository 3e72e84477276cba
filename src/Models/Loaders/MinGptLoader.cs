using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// minGPT/nanoGPT-style GPT-2 checkpoints saved as one safetensors file whose <c>__metadata__</c>
/// carries the config (n_layer, n_head, n_embd, vocab_size, block_size) as a JSON string. Names:
/// <c>tok_emb</c>, <c>pos_emb</c>, <c>blocks.N.{ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj}</c>,
/// <c>ln_f</c>, <c>head</c>. Weights are nn.Linear [out, in] already; GELU is the exact erf form.
/// </summary>
public static class MinGptLoader
{
    public const string ConfigKey = "config";

    /// <summary>True for a safetensors file with a metadata config and minGPT block names.</summary>
    public static bool IsMinGpt(SafetensorsFile file) =>
        file.Metadata.ContainsKey(ConfigKey) && file.Contains("blocks.0.ln_1.weight") && file.Contains("tok_emb.weight");

    public static TransformerConfig ReadConfig(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return ConfigFrom(file);
    }

    public static TransformerConfig ConfigFrom(SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(ConfigKey, out var text))
            throw new ModelFormatException($"{file.Path}: no '{ConfigKey}' entry in __metadata__ (a minGPT file carries its config there)");
        var json = ConfigJson.Parse($"{file.Path} (__metadata__.{ConfigKey})", text);
        int d = json.Int("n_embd"), heads = json.Int("n_head");
        if (heads <= 0 || d % heads != 0)
            throw new ModelFormatException($"{json.Path}: n_embd {d} is not a multiple of n_head {heads}");
        // The MLP width is not in minGPT's config; the stored c_fc says it (4·n_embd in minGPT itself).
        int mlp = file.Contains("blocks.0.mlp.c_fc.weight") ? file.Entry("blocks.0.mlp.c_fc.weight").Shape[0] : 4 * d;
        var config = new TransformerConfig
        {
            Family = ModelFamily.Gpt2,
            Layers = json.Int("n_layer"),
            Heads = heads,
            ModelDim = d,
            HeadDim = d / heads,
            MlpDim = mlp,
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("block_size"),
            Norm = NormKind.LayerNorm,
            NormEps = 1e-5f,
            MlpActivation = Activation.GeluErf,
            LearnedPositions = true,
            Causal = true,
            TiedEmbeddings = true,
            AttentionBias = true,
            MlpBias = true,
        };
        config.Validate(file.Path);
        return config;
    }

    public static (TransformerConfig Config, TransformerWeights Weights) Load(string path)
    {
        using var index = SafetensorsIndex.OpenFile(path);
        var config = ConfigFrom(index.Shards[0]);
        int d = config.ModelDim;

        Tensor Read(string name, params int[] shape) => index.ReadF32(name, shape);

        var tok = Read("tok_emb.weight", config.VocabSize, d);
        var pos = Read("pos_emb.weight", config.MaxSeqLen, d);
        var layers = Gpt2Blocks.Read(config, l => $"blocks.{l}.", (name, outDim, inDim) => Read(name, outDim, inDim), (name, n) => Read(name, n));
        var head = TiedHead.Resolve(index, "head.weight", tok);
        return Gpt2Blocks.Assemble(config, tok, pos, layers, head, Read("ln_f.weight", d), Read("ln_f.bias", d), path);
    }
}
