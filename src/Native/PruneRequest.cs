using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Native;

/// <summary>
/// The options of <c>ep_prune</c>: a JSON object with the names of <c>edgeprune prune</c>'s options, dashes or
/// underscores alike (<c>{"task": "tracr", "target-sparsity": 0.9, "steps": 300}</c>). Options left out keep
/// the task's recipe, as on the command line. An unknown name is an error, so a typo is never ignored.
/// </summary>
public sealed record PruneRequest
{
    public static readonly IReadOnlyList<string> Names =
    [
        "task", "tokenizer", "target_sparsity", "node_target", "node_masks", "steps", "batch", "lr", "lambda_lr",
        "sparsity_warmup", "lr_warmup", "ablation", "seed", "embedding_nodes", "out", "checkpoint_every", "threads",
        "binarize_sparsity", "micro_batch", "warm_start", "init_mean",
    ];

    public string Task { get; init; } = "tracr";
    public string? Tokenizer { get; init; }
    public string? Out { get; init; }
    public int? Threads { get; init; }
    public double? BinarizeSparsity { get; init; }
    private JsonObject Values { get; init; } = [];

    public static PruneRequest Parse(string? json)
    {
        JsonObject raw;
        try
        {
            raw = string.IsNullOrWhiteSpace(json) ? [] : JsonNode.Parse(json) as JsonObject
                ?? throw new EdgePruningException("prune options must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new EdgePruningException($"prune options are not valid JSON: {e.Message}");
        }
        var values = new JsonObject();
        foreach (var (key, value) in raw.ToArray())
        {
            string name = key.TrimStart('-').Replace('-', '_');
            if (!Names.Contains(name))
                throw new EdgePruningException($"unknown prune option '{key}' (known: {string.Join(", ", Names)})");
            raw.Remove(key);
            if (value is not null) values[name] = value;
        }
        var request = new PruneRequest { Values = values };
        return request with
        {
            Task = request.String("task") ?? "tracr",
            Tokenizer = request.String("tokenizer"),
            Out = request.String("out"),
            Threads = request.Int("threads"),
            BinarizeSparsity = request.Double("binarize_sparsity"),
        };
    }

    /// <summary>The task's recipe with this request's overrides, as <c>edgeprune prune</c> applies them.</summary>
    public PruningOptions Apply(PruningOptions d) => new PruningOverrides
    {
        TargetEdgeSparsity = Double("target_sparsity"), TargetNodeSparsity = Double("node_target"),
        NodeMasks = Bool("node_masks"), Steps = Int("steps"), Batch = Int("batch"), MicroBatch = Int("micro_batch"),
        Lr = Double("lr"), LambdaLr = Double("lambda_lr"), SparsityWarmupSteps = Int("sparsity_warmup"),
        LrWarmupSteps = Int("lr_warmup"), Ablation = String("ablation"), Seed = Int("seed"),
        EmbeddingNodes = Int("embedding_nodes"), CheckpointEvery = Int("checkpoint_every"), WarmStart = String("warm_start"),
        InitMean = Double("init_mean"), MaskMath = String("mask_math"), Noise = String("noise"),
    }.Apply(d);

    private string? String(string name) => Get(name, JsonValueKind.String, "a string")?.GetValue<string>();
    private bool? Bool(string name) => Values[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? v.GetValue<bool>()
        : Values.ContainsKey(name) ? throw Wrong(name, "true or false") : null;
    private double? Double(string name) => Get(name, JsonValueKind.Number, "a number")?.GetValue<double>();
    private int? Int(string name)
    {
        var v = Get(name, JsonValueKind.Number, "an integer");
        if (v is null) return null;
        double d = v.GetValue<double>();
        return d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Wrong(name, "an integer");
    }

    private JsonValue? Get(string name, JsonValueKind kind, string what) => Values[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == kind => v,
        _ => throw Wrong(name, what),
    };

    private static EdgePruningException Wrong(string name, string what) => new($"prune option '{name}' must be {what}");
}
