using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Hugging Face LlamaForCausalLM checkpoints (Llama 2, CodeLlama, TinyLlama, …): <c>config.json</c> and
/// safetensors, single or sharded, in f32, f16 or bf16 (converted to f32 here). nn.Linear weights are
/// [out, in] already; q_proj and k_proj rows are put back into adjacent-pair RoPE order
/// (<see cref="HfRopePermutation"/>). HF's gate_proj is the SiLU input (our <c>WUp</c>, llama2.c's w1)
/// and up_proj the linear one (<c>WGateUp</c>, w3).
/// </summary>
public static class HfLlamaLoader
{
    public static bool IsLlama(ConfigJson json) =>
        json.ModelType == "llama" || json.Architectures.Contains("LlamaForCausalLM");

    public static TransformerConfig ReadConfig(string directory) => ConfigFrom(ConfigJson.ReadDirectory(directory));

    public static TransformerConfig ConfigFrom(ConfigJson json)
    {
        int d = json.Int("hidden_size"), heads = json.Int("num_attention_heads");
        if (heads <= 0 || (!json.Has("head_dim") && d % heads != 0))
            throw new ModelFormatException($"{json.Path}: hidden_size {d} is not a multiple of num_attention_heads {heads}");
        if (json.Has("rope_scaling"))
            throw new ModelFormatException($"{json.Path}: rope_scaling is not supported (plain RoPE with rope_theta only)");
        if (json.Bool("mlp_bias", false))
            throw new ModelFormatException($"{json.Path}: mlp_bias is not supported");
        string act = json.String("hidden_act") ?? "silu";
        if (act != "silu")
            throw new ModelFormatException($"{json.Path}: hidden_act '{act}' is not supported (silu)");
        bool bias = json.Bool("attention_bias", false);
        var config = new TransformerConfig
        {
            Family = ModelFamily.Llama,
            Layers = json.Int("num_hidden_layers"),
            Heads = heads,
            KvHeads = json.Int("num_key_value_heads", heads),
            ModelDim = d,
            HeadDim = json.Int("head_dim", heads > 0 ? d / heads : 0),
            MlpDim = json.Int("intermediate_size"),
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.Int("max_position_embeddings", 2048),
            Norm = NormKind.RmsNorm,
            NormEps = json.Float("rms_norm_eps", 1e-6f),
            MlpActivation = Activation.Silu,
            GatedMlp = true,
            Rope = true,
            RopeTheta = json.Float("rope_theta", 10000f),
            Causal = true,
            TiedEmbeddings = json.Bool("tie_word_embeddings", false),
            AttentionBias = bias,
            BosTokenId = json.TokenId("bos_token_id", 1),
            EosTokenId = json.TokenId("eos_token_id", 2),
        };
        config.Validate(json.Path);
        return config;
    }

    public static (TransformerConfig Config, TransformerWeights Weights) Load(string directory, WeightSink? sink = null)
    {
        sink ??= WeightSink.Host;
        var config = ReadConfig(directory);
        using var index = SafetensorsIndex.OpenDirectory(directory);
        int d = config.ModelDim, f = config.MlpDim, h = config.Heads, kv = config.EffectiveKvHeads;
        int hq = h * config.HeadDim, hk = kv * config.HeadDim;
        bool bias = config.AttentionBias;

        Tensor Read(string name, params int[] shape) => index.ReadF32(name, shape);
        Tensor? Bias(string name, int n) => bias ? Read(name, n) : null;

        var embed = Read("model.embed_tokens.weight", config.VocabSize, d);
        var layers = new LayerWeights[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            var bq = Bias(p + "self_attn.q_proj.bias", hq);
            var bk = Bias(p + "self_attn.k_proj.bias", hk);
            layers[l] = sink.TakeLayer(l, config.Layers, new LayerWeights
            {
                AttnNormWeight = Read(p + "input_layernorm.weight", d),
                Wq = HfRopePermutation.FromHf(Read(p + "self_attn.q_proj.weight", hq, d), h),
                Wk = HfRopePermutation.FromHf(Read(p + "self_attn.k_proj.weight", hk, d), kv),
                Wv = Read(p + "self_attn.v_proj.weight", hk, d),
                Wo = Read(p + "self_attn.o_proj.weight", d, hq),
                Bq = bq is null ? null : HfRopePermutation.FromHf(bq, h),
                Bk = bk is null ? null : HfRopePermutation.FromHf(bk, kv),
                Bv = Bias(p + "self_attn.v_proj.bias", hk),
                Bo = Bias(p + "self_attn.o_proj.bias", d),
                MlpNormWeight = Read(p + "post_attention_layernorm.weight", d),
                WUp = Read(p + "mlp.gate_proj.weight", f, d),
                WGateUp = Read(p + "mlp.up_proj.weight", f, d),
                WDown = Read(p + "mlp.down_proj.weight", d, f),
            });
        }
        Tensor head;
        if (config.TiedEmbeddings) head = TiedHead.Resolve(index, "lm_head.weight", embed);
        else if (index.Contains("lm_head.weight")) head = Read("lm_head.weight", config.VocabSize, d);
        else throw new ModelFormatException($"{index.Source}: tensor 'lm_head.weight' not found (config.json says tie_word_embeddings is false)");
        bool tied = ReferenceEquals(head, embed);
        config = config with { TiedEmbeddings = tied };
        embed = sink.Take(embed);
        head = tied ? embed : sink.Take(head);
        var weights = new TransformerWeights
        {
            TokenEmbedding = embed, Layers = layers, FinalNormWeight = sink.Take(Read("model.norm.weight", d)), Unembedding = head,
        };
        weights.Validate(config, directory);
        return (config, weights);
    }
}
