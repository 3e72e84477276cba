using System.Text.Json;
using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Tracr-compiled RASP programs: <c>NAME.safetensors</c> with the haiku parameters
/// (<c>token_embed_embeddings</c>, <c>pos_embed_embeddings</c>,
/// <c>transformer/layer_N/attn/{query,key,value,linear}_{w,b}</c>,
/// <c>transformer/layer_N/mlp/linear_{1,2}_{w,b}</c>, optional <c>unembedding_mtx</c>) and a sibling
/// <c>NAME.json</c> (config, vocab, and either <c>unembedding_classes</c> or <c>output_residual_dim</c>).
/// Haiku stores weights [in, out]; they are transposed. The model has no norm, a ReLU MLP, non-causal
/// attention that ignores compiler_pad keys, and a projection readout instead of logits.
/// </summary>
public static class TracrLoader
{
    public const string LayerPrefix = "transformer/layer_";

    public static string InfoPath(string path) => Path.ChangeExtension(path, ".json");

    /// <summary>True for a safetensors file with Tracr layer names and a sibling NAME.json.</summary>
    public static bool IsTracr(string path, SafetensorsFile file) =>
        File.Exists(InfoPath(path)) && file.Contains(LayerPrefix + "0/attn/query_w");

    public static TransformerConfig ReadConfig(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return ConfigFrom(path, file, ReadInfo(path, file));
    }

    public static TracrModelInfo ReadInfo(string path)
    {
        using var file = SafetensorsFile.Open(path);
        return ReadInfo(path, file);
    }

    public static (TransformerConfig Config, TransformerWeights Weights, TracrModelInfo Info) Load(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var info = ReadInfo(path, file);
        var config = ConfigFrom(path, file, info);
        int d = config.ModelDim, hk = config.Heads * config.HeadDim, hv = config.Heads * config.EffectiveValueDim, m = config.MlpDim;

        Tensor Read(string name, params int[] shape) => file.ReadF32(name, shape);
        Tensor InOut(string name, int inDim, int outDim) => WeightLayout.Transpose(Read(name, inDim, outDim));

        var layers = new LayerWeights[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            string a = $"{LayerPrefix}{l}/attn/", f = $"{LayerPrefix}{l}/mlp/";
            layers[l] = new LayerWeights
            {
                Wq = InOut(a + "query_w", d, hk), Bq = Read(a + "query_b", hk),
                Wk = InOut(a + "key_w", d, hk), Bk = Read(a + "key_b", hk),
                Wv = InOut(a + "value_w", d, hv), Bv = Read(a + "value_b", hv),
                Wo = InOut(a + "linear_w", hv, d), Bo = Read(a + "linear_b", d),
                WUp = InOut(f + "linear_1_w", d, m), BUp = Read(f + "linear_1_b", m),
                WDown = InOut(f + "linear_2_w", m, d), BDown = Read(f + "linear_2_b", d),
            };
        }
        Tensor readout;
        if (info.OutputClasses is { } classes)
        {
            readout = InOut("unembedding_mtx", d, classes.Count);
        }
        else
        {
            readout = Tensor.Zeros(1, d);
            readout.Span[info.OutputResidualDim!.Value] = 1f;
        }
        var weights = new TransformerWeights
        {
            TokenEmbedding = Read("token_embed_embeddings", config.VocabSize, d),
            PositionEmbedding = Read("pos_embed_embeddings", config.MaxSeqLen, d),
            Layers = layers,
            Unembedding = readout,
        };
        weights.Validate(config, path);
        return (config, weights, info);
    }

    private static TransformerConfig ConfigFrom(string path, SafetensorsFile file, TracrModelInfo info)
    {
        var json = ConfigJson.Parse(InfoPath(path), File.ReadAllText(InfoPath(path)));
        var cfg = json.Get("config") is { ValueKind: JsonValueKind.Object } c
            ? ConfigJson.Parse(json.Path + " (config)", c.GetRawText())
            : throw new ModelFormatException($"{json.Path}: no 'config' object");
        if (cfg.Bool("layer_norm", false))
            throw new ModelFormatException($"{json.Path}: tracr models with layer_norm are not supported");
        int heads = cfg.Int("num_heads"), layers = cfg.Int("num_layers");
        var tok = file.Entry("token_embed_embeddings");
        var pos = file.Entry("pos_embed_embeddings");
        var query = file.Entry(LayerPrefix + "0/attn/query_w");
        var value = file.Entry(LayerPrefix + "0/attn/value_w");
        if (tok.Shape.Length != 2 || pos.Shape.Length != 2 || query.Shape.Length != 2 || value.Shape.Length != 2)
            throw new ModelFormatException($"{path}: token/position embeddings and attention weights must be matrices");
        if (query.Shape[1] % heads != 0 || value.Shape[1] % heads != 0)
            throw new ModelFormatException($"{path}: tensor '{query.Name}' {query.ShapeText} does not split into {heads} heads");
        int d = tok.Shape[1];
        var config = new TransformerConfig
        {
            Family = ModelFamily.Tracr,
            Layers = layers,
            Heads = heads,
            ModelDim = d,
            HeadDim = query.Shape[1] / heads,
            ValueDim = value.Shape[1] / heads,
            MlpDim = cfg.Int("mlp_hidden_size"),
            VocabSize = tok.Shape[0],
            OutputSize = info.OutputClasses?.Count ?? 1,
            // Rows of pos_embed, not max_seq_len: tracr adds one position for BOS.
            MaxSeqLen = pos.Shape[0],
            Norm = NormKind.None,
            MlpActivation = Activation.Relu,
            GatedMlp = false,
            LearnedPositions = true,
            Causal = cfg.Bool("causal", false),
            TiedEmbeddings = false,
            AttentionBias = true,
            MlpBias = true,
            Readout = ReadoutKind.Projection,
            PadTokenId = info.PadId,
            BosTokenId = info.BosId,
        };
        config.Validate(path);
        if (info.OutputResidualDim is { } dim && (dim < 0 || dim >= d))
            throw new ModelFormatException($"{json.Path}: output_residual_dim {dim} is outside the residual stream of {d}");
        return config;
    }

    private static TracrModelInfo ReadInfo(string path, SafetensorsFile file)
    {
        string infoPath = InfoPath(path);
        if (!File.Exists(infoPath))
            throw new ModelFormatException($"{infoPath}: file not found (a tracr model's config, vocab and output convention)");
        using var doc = ParseJson(infoPath);
        var root = doc.RootElement;
        if (!root.TryGetProperty("vocab", out var vocabJson) || vocabJson.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException($"{infoPath}: no 'vocab' object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabJson.EnumerateObject())
        {
            if (!p.Value.TryGetInt32(out int id))
                throw new ModelFormatException($"{infoPath}: vocab entry '{p.Name}' is not an integer id");
            vocab[p.Name] = id;
        }
        string bos = "BOS", pad = "compiler_pad";
        if (root.TryGetProperty("config", out var cfg) && cfg.ValueKind == JsonValueKind.Object)
        {
            if (cfg.TryGetProperty("bos", out var b) && b.ValueKind == JsonValueKind.String) bos = b.GetString()!;
            if (cfg.TryGetProperty("pad", out var pd) && pd.ValueKind == JsonValueKind.String) pad = pd.GetString()!;
        }
        foreach (var special in new[] { bos, pad })
            if (!vocab.ContainsKey(special))
                throw new ModelFormatException($"{infoPath}: vocab has no '{special}' token");

        List<string>? classes = null;
        int? residualDim = null;
        if (root.TryGetProperty("unembedding_classes", out var cls) && cls.ValueKind == JsonValueKind.Array)
        {
            // Classes are whatever RASP values the program outputs (numbers for reverse); kept as text.
            classes = cls.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList();
            if (!file.Contains("unembedding_mtx"))
                throw new ModelFormatException($"{path}: tensor 'unembedding_mtx' not found ({infoPath} lists output classes)");
        }
        else if (root.TryGetProperty("output_residual_dim", out var dim) && dim.TryGetInt32(out int rd))
        {
            residualDim = rd;
        }
        else
        {
            throw new ModelFormatException($"{infoPath}: neither 'unembedding_classes' nor 'output_residual_dim' says how to read the output");
        }
        string? program = root.TryGetProperty("program", out var prog) && prog.ValueKind == JsonValueKind.String ? prog.GetString() : null;
        return new TracrModelInfo(Path.GetFileNameWithoutExtension(path), vocab, bos, pad, classes, residualDim, program);
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{path}: not valid JSON ({ex.Message})", ex);
        }
    }
}
