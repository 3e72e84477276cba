using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Rasp;

/// <summary>A RASP program compiled to weights: the model, what its residual dimensions mean, and where each op sits.</summary>
public sealed class CompiledProgram
{
    public required string Name { get; init; }
    public required SOp Output { get; init; }
    /// <summary>The input tokens (without BOS and pad), in RASP order.</summary>
    public required IReadOnlyList<object> Vocabulary { get; init; }
    public required int MaxLength { get; init; }
    public required TransformerConfig Config { get; init; }
    public required TransformerWeights Weights { get; init; }
    public required TracrModelInfo Info { get; init; }
    public required ResidualLayout Layout { get; init; }
    public required IReadOnlyList<SOp> Order { get; init; }
    public required IReadOnlyDictionary<SOp, List<object>> ValueSets { get; init; }
    /// <summary>The sublayer that writes each s-op (2L attention, 2L+1 MLP, −1 embeddings).</summary>
    public required IReadOnlyDictionary<SOp, int> Sublayers { get; init; }
    /// <summary>The head of every aggregate and selector width.</summary>
    public required IReadOnlyDictionary<SOp, (int Layer, int Head)> Heads { get; init; }

    /// <summary>What a class's readout is when the output takes that class (1 for numerical programs).</summary>
    public float ReadoutScale { get; init; } = 1f;

    public bool IsCategorical => !Output.IsNumerical;

    public LoadedModel ToLoadedModel(string source) => new(Config, Weights, ModelFileKind.Tracr, source, Info);

    /// <summary>BOS followed by the ids of <paramref name="tokens"/>.</summary>
    public int[] Encode(IEnumerable<object> tokens) =>
        tokens.Select(t => Info.IdOf(RaspValues.Name(t))).Prepend(Info.BosId).ToArray();

    /// <summary>The class index of an output value (categorical programs).</summary>
    public int ClassOf(object value) => Info.OutputClasses!.ToList().IndexOf(RaspValues.Name(value)) is int i and >= 0 ? i
        : throw new EdgePruningException($"{Name}: output value {RaspValues.Name(value)} is not an output class");

    /// <summary>
    /// Writes the model in the Tracr safetensors layout (haiku [in, out] weights) with the sibling NAME.json
    /// that <see cref="TracrLoader"/> reads, and NAME.ground_truth.json when a ground truth is given.
    /// </summary>
    public void Save(string safetensorsPath, IReadOnlyList<string>? groundTruth = null)
    {
        var writer = new SafetensorsWriter();
        writer.Add("token_embed_embeddings", Weights.TokenEmbedding);
        writer.Add("pos_embed_embeddings", Weights.PositionEmbedding!);
        for (int l = 0; l < Config.Layers; l++)
        {
            var w = Weights.Layers[l];
            string a = $"{TracrLoader.LayerPrefix}{l}/attn/", f = $"{TracrLoader.LayerPrefix}{l}/mlp/";
            writer.Add(a + "query_w", WeightLayout.Transpose(w.Wq)).Add(a + "query_b", w.Bq!);
            writer.Add(a + "key_w", WeightLayout.Transpose(w.Wk)).Add(a + "key_b", w.Bk!);
            writer.Add(a + "value_w", WeightLayout.Transpose(w.Wv)).Add(a + "value_b", w.Bv!);
            writer.Add(a + "linear_w", WeightLayout.Transpose(w.Wo)).Add(a + "linear_b", w.Bo!);
            writer.Add(f + "linear_1_w", WeightLayout.Transpose(w.WUp)).Add(f + "linear_1_b", w.BUp!);
            writer.Add(f + "linear_2_w", WeightLayout.Transpose(w.WDown)).Add(f + "linear_2_b", w.BDown!);
        }
        if (IsCategorical) writer.Add("unembedding_mtx", WeightLayout.Transpose(Weights.Unembedding));
        writer.Write(safetensorsPath);

        var json = new JsonObject
        {
            // The program travels with the file, so that its task is found under any file name.
            ["program"] = Name,
            ["config"] = new JsonObject
            {
                ["num_heads"] = Config.Heads,
                ["num_layers"] = Config.Layers,
                ["mlp_hidden_size"] = Config.MlpDim,
                ["dropout_rate"] = 0.0,
                ["layer_norm"] = false,
                ["causal"] = false,
                ["max_seq_len"] = MaxLength,
                ["bos"] = Info.Bos,
                ["pad"] = Info.Pad,
            },
            ["vocab"] = new JsonObject(Info.Vocab.OrderBy(p => p.Value).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["residual_dimensions"] = new JsonArray(Layout.Names.Select(n => (JsonNode?)n).ToArray()),
        };
        if (IsCategorical) json["unembedding_classes"] = new JsonArray(Info.OutputClasses!.Select(c => (JsonNode?)c).ToArray());
        else json["output_residual_dim"] = Info.OutputResidualDim;
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(TracrLoader.InfoPath(safetensorsPath), json.ToJsonString(options));
        if (groundTruth is not null)
        {
            var truth = new JsonObject
            {
                ["model"] = Name,
                ["ground_truth_edges"] = new JsonArray(groundTruth.Select(e => (JsonNode?)e).ToArray()),
                ["n_ground_truth_edges"] = groundTruth.Count,
            };
            File.WriteAllText(Path.ChangeExtension(safetensorsPath, ".ground_truth.json"), truth.ToJsonString(options));
        }
    }
}
