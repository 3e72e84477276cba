using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Cli;

/// <summary>
/// What a prune run was started with, kept as <c>run.json</c> beside its checkpoint: the model, the task,
/// the options the user gave and the hyperparameters they resolved to. <c>--resume</c> continues with
/// these (the checkpoint's own settings) and refuses an option that contradicts them, so that the
/// circuit.json of a resumed run records what was really trained.
/// </summary>
public sealed record RunSettings(string Model, string Task, PruningOverrides Given, IReadOnlyDictionary<string, string> Resolved)
{
    public const string FileName = "run.json";

    /// <summary>The settings of a run about to start (its job's resolved options).</summary>
    public static RunSettings Of(string model, string task, PruningOverrides given, PruningOptions resolved) =>
        new(ModelKey(model), task, given, Resolve(resolved));

    public static string PathIn(string dir) => System.IO.Path.Combine(dir, FileName);

    /// <summary>The settings saved in <paramref name="dir"/>, or null when the run predates run.json.</summary>
    public static RunSettings? Read(string dir)
    {
        string path = PathIn(dir);
        if (!File.Exists(path)) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
            string Text(string key) => root[key]?.GetValue<string>() ?? throw new JsonException($"no '{key}'");
            var given = root["given"].Deserialize(RunSettingsJsonContext.Default.PruningOverrides) ?? new PruningOverrides();
            var resolved = (root["resolved"] as JsonObject ?? throw new JsonException("no 'resolved' object"))
                .ToDictionary(kv => kv.Key, kv => kv.Value?.GetValue<string>() ?? throw new JsonException($"'{kv.Key}' is not a string"));
            return new RunSettings(Text("model"), Text("task"), given, resolved);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new EdgePruningException($"{path}: not a run description written by edgeprune prune ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    public void Write(string dir)
    {
        var root = new JsonObject
        {
            ["model"] = Model,
            ["task"] = Task,
            ["given"] = JsonSerializer.SerializeToNode(Given, RunSettingsJsonContext.Default.PruningOverrides),
            ["resolved"] = new JsonObject(Resolved.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        };
        File.WriteAllText(PathIn(dir), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>
    /// The options to resume with: the run's own, after checking that the model, the task and every option
    /// given now agree with them. A conflict is one line naming the option, the run's value and the way out.
    /// </summary>
    public PruningOverrides ResumeWith(string model, string? task, PruningOverrides now, string dir)
    {
        if (ModelKey(model) != Model)
            throw Conflict(dir, "--model", model, Model);
        if (task is not null && task != Task && !(task == "tracr" && Task.StartsWith("tracr-", StringComparison.Ordinal)))
            throw Conflict(dir, "--task", task, Task);
        foreach (var (option, value) in Options(now))
            if (value is not null && Resolved.TryGetValue(option, out var was) && was != value)
                throw Conflict(dir, "--" + option, value, was);
        // Settings that change how a step is computed but not what it computes may differ.
        return Given with
        {
            MicroBatch = now.MicroBatch ?? Given.MicroBatch,
            CheckpointEvery = now.CheckpointEvery ?? Given.CheckpointEvery,
            MaskedRead = now.MaskedRead ?? Given.MaskedRead,
            Recompute = now.Recompute ?? Given.Recompute,
            MaskMath = now.MaskMath ?? Given.MaskMath,
        };
    }

    /// <summary>Refuses a resume whose recipe no longer gives the hyperparameters the run was started with.</summary>
    public void CheckSame(PruningOptions resumed, string dir)
    {
        foreach (var (option, value) in Resolve(resumed))
            if (Resolved.TryGetValue(option, out var was) && was != value)
                throw new EdgePruningException($"{dir} was trained with {option} {was}, but resuming would now use {value}; " +
                    "start a new run with another --out");
    }

    private static EdgePruningException Conflict(string dir, string option, string now, string was) =>
        new($"{option} {now} conflicts with the run in {dir}, which was started with {option} {was}; " +
            $"--resume continues a run with its own settings: leave {option} out, or start a new run with another --out");

    /// <summary>The result-changing options as the user names them, with the values of <paramref name="o"/>.</summary>
    private static Dictionary<string, string> Resolve(PruningOptions o) => new()
    {
        ["target-sparsity"] = Text(o.TargetEdgeSparsity),
        ["node-target"] = o.TargetNodeSparsity is { } n ? Text(n) : "none",
        ["node-masks"] = o.NodeMasks ? "true" : "false",
        ["steps"] = Text(o.Steps),
        ["batch"] = Text(o.Batch),
        ["lr"] = Text(o.EdgeLr),
        ["lambda-lr"] = Text(o.EdgeLambdaLr),
        ["sparsity-warmup"] = Text(o.SparsityWarmupSteps),
        ["lr-warmup"] = Text(o.LrWarmupSteps),
        ["ablation"] = o.Ablation.Name(),
        ["seed"] = Text(o.Seed),
        ["embedding-nodes"] = o.EmbeddingNodes is { } e ? Text(e) : "default",
        ["warm-start"] = o.WarmStart ?? "none",
        ["init-mean"] = Text(o.InitMean),
        ["noise"] = o.CounterNoise is { } c ? PruningOverrides.NoiseName(c) : "auto",
    };

    /// <summary>The options given now, under the same names (null: not given).</summary>
    private static IEnumerable<(string Option, string? Value)> Options(PruningOverrides g) =>
    [
        ("target-sparsity", g.TargetEdgeSparsity is { } t ? Text(t) : null),
        ("node-target", g.TargetNodeSparsity is { } n ? Text(n) : null),
        ("node-masks", g.NodeMasks is { } m ? (m ? "true" : "false") : null),
        ("steps", g.Steps is { } s ? Text(s) : null),
        ("batch", g.Batch is { } b ? Text(b) : null),
        ("lr", g.Lr is { } lr ? Text(lr) : null),
        ("lambda-lr", g.LambdaLr is { } ll ? Text(ll) : null),
        ("sparsity-warmup", g.SparsityWarmupSteps is { } sw ? Text(sw) : null),
        ("lr-warmup", g.LrWarmupSteps is { } lw ? Text(lw) : null),
        ("ablation", g.Ablation is { } a ? AblationNames.Parse(a).Name() : null),
        ("seed", g.Seed is { } seed ? Text(seed) : null),
        ("embedding-nodes", g.EmbeddingNodes is { } e ? Text(e) : null),
        ("warm-start", g.WarmStart),
        ("init-mean", g.InitMean is { } im ? Text(im) : null),
        ("noise", g.Noise is { } noise ? PruningOverrides.NoiseName(PruningOverrides.ParseNoise(noise)) : null),
    ];

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A model named the same way from any working directory.</summary>
    private static string ModelKey(string model) =>
        model.StartsWith("rasp:", StringComparison.Ordinal) || !System.IO.Path.Exists(model) ? model : System.IO.Path.GetFullPath(model);

}
