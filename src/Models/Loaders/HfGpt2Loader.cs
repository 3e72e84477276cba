using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Hugging Face GPT-2 checkpoints: a directory with <c>config.json</c> and <c>model.safetensors</c>
/// (or shards with an index). Conv1D stores weights [in, out], so every matrix is transposed at load;
/// <c>c_attn</c> holds q|k|v side by side along its output axis. Names may carry the
/// <c>transformer.</c> prefix that GPT2LMHeadModel adds. The head is tied to <c>wte</c> unless a
/// different <c>lm_head.weight</c> is stored.
/// </summary>
public static class HfGpt2Loader
{
    public static bool IsGpt2(ConfigJson json) =>
        json.ModelType == "gpt2" || json.Architectures.Any(a => a.StartsWith("GPT2", StringComparison.Ordinal));

    public static TransformerConfig ReadConfig(string directory) => ConfigFrom(ConfigJson.ReadDirectory(directory));

    public static TransformerConfig ConfigFrom(ConfigJson json)
    {
        int d = json.Int("n_embd"), heads = json.Int("n_head");
        if (heads <= 0 || d % heads != 0)
            throw new ModelFormatException($"{json.Path}: n_embd {d} is not a multiple of n_head {heads}");
        if (!json.Bool("scale_attn_weights", true) || json.Bool("scale_attn_by_inverse_layer_idx", false))
            throw new ModelFormatException($"{json.Path}: only the standard 1/sqrt(head_dim) attention scaling is supported");
        var config = new TransformerConfig
        {
            Family = ModelFamily.Gpt2,
            Layers = json.Int("n_layer"),
            Heads = heads,
            ModelDim = d,
            HeadDim = d / heads,
            MlpDim = json.IntOrNull("n_inner") ?? 4 * d,
            VocabSize = json.Int("vocab_size"),
            MaxSeqLen = json.IntOrNull("n_positions") ?? json.Int("n_ctx"),
            Norm = NormKind.LayerNorm,
            NormEps = json.Float("layer_norm_epsilon", 1e-5f),
            MlpActivation = ActivationNamed(json, json.String("activation_function") ?? "gelu_new"),
            LearnedPositions = true,
            Causal = true,
            TiedEmbeddings = json.Bool("tie_word_embeddings", true),
            AttentionBias = true,
            MlpBias = true,
            BosTokenId = json.TokenId("bos_token_id", -1),
            EosTokenId = json.TokenId("eos_token_id", -1),
        };
        config.Validate(json.Path);
        return config;
    }

    public static (TransformerConfig Config, TransformerWeights Weights) Load(string directory, WeightSink? sink = null)
    {
        sink ??= WeightSink.Host;
        var config = ReadConfig(directory);
        using var index = SafetensorsIndex.OpenDirectory(directory);
        string prefix = index.Contains("transformer.wte.weight") ? "transformer." : "";
        int d = config.ModelDim;

        Tensor Vector(string name, int n) => index.ReadF32(prefix + name, n);
        // Conv1D [in, out] → [out, in].
        Tensor Conv1D(string name, int inDim, int outDim) => WeightLayout.Transpose(index.ReadF32(prefix + name, inDim, outDim));

        var wte = index.ReadF32(prefix + "wte.weight", config.VocabSize, d);
        var wpe = index.ReadF32(prefix + "wpe.weight", config.MaxSeqLen, d);
        // Conv1D stores [in, out].
        var head = TiedHead.Resolve(index, "lm_head.weight", wte);
        bool tied = ReferenceEquals(head, wte);
        wte = sink.Take(wte);
        head = tied ? wte : sink.Take(head);
        wpe = sink.Take(wpe);
        var layers = Gpt2Blocks.Read(config, l => $"h.{l}.", (name, outDim, inDim) => Conv1D(name, inDim, outDim), Vector, sink);
        return Gpt2Blocks.Assemble(config, wte, wpe, layers, head, sink.Take(Vector("ln_f.weight", d)), sink.Take(Vector("ln_f.bias", d)), directory);
    }

    private static Activation ActivationNamed(ConfigJson json, string name) => name switch
    {
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activation.GeluTanh,
        "gelu" => Activation.GeluErf,
        "relu" => Activation.Relu,
        "silu" or "swish" => Activation.Silu,
        _ => throw new ModelFormatException($"{json.Path}: activation_function '{name}' is not supported (gelu_new, gelu, relu, silu)"),
    };
}
