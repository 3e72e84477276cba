using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgePruning.Cli.View;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using Spectre.Console;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune compare A.json B.json [--model M [--task T]...]</c>: the overlap of two circuits of one model
/// (shared, only-A and only-B edges and nodes, Jaccard, shared fractions, times chance) and, given the model,
/// each circuit run on each task with its own edges, with the other's and with the shared ones alone, on the
/// device <c>--device</c>/<c>--dtype</c> choose (as prune and eval do).
/// </summary>
public static class CompareCommand
{
    public static Command Create()
    {
        var pathA = new Argument<string>("a") { Description = "circuit.json of circuit A" };
        var pathB = new Argument<string>("b") { Description = "circuit.json of circuit B (same model shape)" };
        var model = new Option<string?>("--model") { Description = "model file or directory: also run A, B and their intersection on the tasks" };
        var tasks = new Option<string[]>("--task") { Description = "task to run them on; repeat for several (default: A's and B's tasks)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file or directory (default: found beside the model)" };
        var split = new Option<string>("--split") { Description = "train, validation or test", DefaultValueFactory = _ => "test" };
        var ablation = new Option<string?>("--ablation") { Description = "interchange, zero, mean or optimal (default: the circuits')" };
        var batch = new Option<int>("--batch") { Description = "sequences per forward", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var limit = new Option<int?>("--examples") { Description = "run on the first N examples of the split only (default: all)" }.AtLeast(1);
        var html = new Option<string?>("--html") { Description = "also write the side-by-side page of view --compare to this file" };
        var save = new Option<string?>("--out") { Description = "also write the result as JSON to this file (what --json prints)" };
        var command = new Command("compare", "compare two circuits: shared edges and nodes, and each one's faithfulness with the other's edges")
        {
            pathA, pathB, model, tasks, tokenizer, split, ablation, batch, limit, html, save,
        };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            string fileA = parse.GetRequiredValue(pathA), fileB = parse.GetRequiredValue(pathB);
            var a = CircuitJson.Read(fileA);
            var b = CircuitJson.Read(fileB);
            var overlap = CircuitOverlap.Of(a, b);
            var (nameA, nameB) = CircuitPage.SideNames(fileA, fileB);
            string[] taskNames = parse.GetValue(tasks) ?? [];
            string? modelPath = parse.GetValue(model);
            if (modelPath is null && taskNames.Length > 0)
                throw new EdgePruningException("--task needs --model: running circuits on a task needs the model they were found in");
            if (modelPath is null && parse.GetValue(tokenizer) is not null)
                throw new EdgePruningException("--tokenizer needs --model");

            var evaluations = modelPath is null ? [] : Evaluate(modelPath, loaded =>
            {
                var device = devices.Open(parse, loaded);
                DeviceOptions.Announce(parse.InvocationConfiguration.Error, CommandOutput.IsJson(parse), device);
                return device;
            }, a, b, taskNames, parse.GetValue(tokenizer), parse.GetValue(split)!, parse.GetValue(ablation), parse.GetValue(batch), parse.GetValue(limit));
            string? page = parse.GetValue(html);
            if (page is not null)
                OutputPaths.Writing(page, () => File.WriteAllText(page, CircuitPage.Build(a, b, nameA, nameB).Html));

            var result = new JsonObject
            {
                ["a"] = Side(fileA, a),
                ["b"] = Side(fileB, b),
                ["edges"] = OverlapJson(overlap.Edges, a.TotalEdges),
                ["nodes"] = OverlapJson(overlap.Nodes, null),
                ["expected_shared_edges"] = CommandOutput.Number(overlap.ExpectedSharedEdges),
                ["times_chance"] = CommandOutput.Number(overlap.TimesChance),
                ["evaluations"] = new JsonArray([.. evaluations.Select(e => (JsonNode?)e.ToJson())]),
                ["html"] = page,
            };
            if (parse.GetValue(save) is { } file)
                OutputPaths.Writing(file, () =>
                {
                    using var writer = new StreamWriter(file);
                    CommandOutput.WriteDocument(writer, result);
                });
            return CommandOutput.Emit(parse, result, o => Print(o, nameA, a, nameB, b, overlap, evaluations, page));
        });
        return command;
    }

    /// <summary>One task's rows: the edge sets A, B and A∩B run on its examples.</summary>
    private sealed record TaskEvaluation(string Task, string Split, int Examples, string Ablation, string Device, IReadOnlyList<CircuitCrossEvaluation.Row> Rows)
    {
        public JsonObject ToJson() => new()
        {
            ["task"] = Task,
            ["split"] = Split,
            ["examples"] = Examples,
            ["ablation"] = Ablation,
            ["device"] = Device,
            ["circuits"] = new JsonObject(Rows.Select(r => KeyValuePair.Create(r.Name, (JsonNode?)CommandOutput.Numbers(r.Metrics)))),
        };
    }

    private const string RowA = "a", RowB = "b", RowShared = "intersection";

    private static List<TaskEvaluation> Evaluate(string modelPath, Func<LoadedModel, RunDevice> openDevice, Circuit a, Circuit b, string[] taskNames, string? tokenizerPath,
        string split, string? ablationName, int batch, int? limit)
    {
        if (taskNames.Length == 0)
        {
            foreach (var (c, side) in new[] { (a, "A"), (b, "B") })
                if (c.Task.Length == 0) throw new EdgePruningException($"circuit {side} names no task; give one with --task");
            taskNames = new[] { a.Task, b.Task }.Select(t => PruningJob.IsTracrTask(t) ? "tracr" : t).Distinct(StringComparer.Ordinal).ToArray();
        }
        if (ablationName is null && a.Ablation != b.Ablation && a.Ablation.Length > 0 && b.Ablation.Length > 0)
            throw new EdgePruningException($"circuit A was found with {a.Ablation} ablation and B with {b.Ablation}; choose one with --ablation");
        var ablation = AblationNames.Parse(ablationName ?? (a.Ablation.Length > 0 ? a.Ablation : b.Ablation.Length > 0 ? b.Ablation : "interchange"));
        if (split is not ("train" or "validation" or "test"))
            throw new EdgePruningException($"unknown split '{split}' (expected train, validation or test)");

        var loaded = ModelLoader.Load(modelPath);
        // Every task is built (names, tokenizer, data checked) before the device is opened and the weights go there.
        var resolved = taskNames.Select(name => PruningJob.ResolveTask(loaded, name, tokenizerPath)).ToArray();
        if (!a.Model.Matches(Models.Graph.EdgeGraph.For(loaded.Config, a.Model.EmbeddingNodes)))
            throw new CircuitFormatException($"the circuits were found in a model of another shape ({a.Model.Layers} layers, {a.Model.Heads} heads, d {a.Model.ModelDim}) than {modelPath}");
        using var device = openDevice(loaded);
        var evaluations = new List<TaskEvaluation>();
        foreach (var task in resolved)
        {
            var options = PruningJob.DefaultOptions(task, loaded) with
            {
                Ablation = ablation, NodeMasks = false, EmbeddingNodes = a.Model.EmbeddingNodes, Batch = batch,
            };
            var job = PruningJob.Create(loaded, task, device, options);
            IReadOnlyList<TaskExample> examples = split switch { "train" => task.Train, "validation" => task.Validation, _ => task.Test };
            if (limit is int n && n < examples.Count) examples = examples.Take(n).ToArray();
            if (examples.Count == 0)
                throw new EdgePruningException(split == "test" ? RunShortfalls.NoTestSplit(task) : $"task {task.Name} has no {split} examples to evaluate on");
            var masksA = CircuitMasks.FromCircuit(job.Masked.Layout, a);
            var masksB = CircuitMasks.FromCircuit(job.Masked.Layout, b);
            var rows = CircuitCrossEvaluation.Run(job.Pruner, [(RowA, masksA), (RowB, masksB), (RowShared, masksA.Intersect(masksB))], examples, batch);
            evaluations.Add(new TaskEvaluation(task.Name, split, examples.Count, ablation.Name(), job.DeviceName, rows));
        }
        return evaluations;
    }

    private static JsonObject Side(string path, Circuit c) => new()
    {
        ["circuit"] = path,
        ["task"] = c.Task,
        ["ablation"] = c.Ablation,
        ["kept_edges"] = c.KeptEdgeCount,
        ["nodes"] = CircuitOverlap.NodesOf(c).Count,
        ["total_edges"] = c.TotalEdges,
        ["edge_sparsity"] = CommandOutput.Number(c.EdgeSparsity),
    };

    private static JsonObject OverlapJson(CircuitComparison c, long? total) => new()
    {
        ["a"] = c.FoundCount,
        ["b"] = c.TruthCount,
        ["shared"] = c.Shared.Count,
        ["only_a"] = c.Extra.Count,
        ["only_b"] = c.Missing.Count,
        ["union"] = c.UnionCount,
        ["jaccard"] = CommandOutput.Number(c.IoU),
        ["shared_of_a"] = CommandOutput.Number(c.Precision),
        ["shared_of_b"] = CommandOutput.Number(c.Recall),
        ["total"] = total,
    };

    private static void Print(TextWriter o, string nameA, Circuit a, string nameB, Circuit b, CircuitOverlap overlap,
        IReadOnlyList<TaskEvaluation> evaluations, string? page)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine($"A  {nameA}: {a.Task}, {a.KeptEdgeCount:N0} of {a.TotalEdges:N0} edges, {overlap.Nodes.FoundCount} nodes");
        o.WriteLine($"B  {nameB}: {b.Task}, {b.KeptEdgeCount:N0} of {b.TotalEdges:N0} edges, {overlap.Nodes.TruthCount} nodes");
        var table = new Table().Title("overlap");
        table.AddColumn("");
        foreach (string column in new[] { "A", "B", "shared", "only A", "only B", "Jaccard", "shared of A", "shared of B" })
            table.AddColumn(new TableColumn(column).RightAligned());
        foreach (var (label, c) in new[] { ("edges", overlap.Edges), ("nodes", overlap.Nodes) })
            table.AddRow(label, c.FoundCount.ToString("N0", inv), c.TruthCount.ToString("N0", inv), c.Shared.Count.ToString("N0", inv),
                c.Extra.Count.ToString("N0", inv), c.Missing.Count.ToString("N0", inv), Fraction(c.IoU), Fraction(c.Precision), Fraction(c.Recall));
        Plain(o).Write(table);
        o.WriteLine(double.IsNaN(overlap.TimesChance)
            ? "shared edges against chance: undefined (a circuit is empty)"
            : $"shared edges: {overlap.SharedEdges:N0} = {overlap.TimesChance.ToString("G4", inv)}× chance (two random edge sets of these sizes share {overlap.ExpectedSharedEdges.ToString("G4", inv)} on average)");

        foreach (var e in evaluations)
        {
            var first = e.Rows[0].Metrics;
            string full = first.TryGetValue("accuracy_full", out double acc)
                ? $"; full model: accuracy {acc.ToString("0.###", inv)}, logit diff {first.GetValueOrDefault("logit_diff_full").ToString("G4", inv)}" : "";
            o.WriteLine();
            o.WriteLine($"{e.Task} ({e.Split}, {e.Examples} examples, {e.Ablation} ablation){full}");
            var t = new Table();
            t.AddColumn("edges run");
            foreach (string column in new[] { "edges", "KL", "accuracy", "exact match", "logit diff", "faithfulness" })
                t.AddColumn(new TableColumn(column).RightAligned());
            foreach (var row in e.Rows)
            {
                string label = row.Name switch { RowA => $"A ({nameA})", RowB => $"B ({nameB})", _ => "A ∩ B" };
                // + 0.0 prints a negative zero (a faithfulness of exactly the empty circuit's, over a negative span) as 0.
                string Metric(string key, string format) => row.Metrics.TryGetValue(key, out double v) && double.IsFinite(v) ? (v + 0.0).ToString(format, inv) : "—";
                t.AddRow(Markup.Escape(label), Metric("edges", "N0"), Metric("kl", "G4"), Metric("accuracy", "0.###"),
                    Metric("exact_match", "0.###"), Metric("logit_diff", "G4"), Metric("faithfulness", "0.###"));
            }
            Plain(o).Write(t);
        }
        if (page is not null) o.WriteLine($"page written to {page}");
    }

    private static string Fraction(double v) => double.IsFinite(v) ? v.ToString("0.###", CultureInfo.InvariantCulture) : "—";

    private static IAnsiConsole Plain(TextWriter o)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = Math.Max(console.Profile.Width, 120);
        return console;
    }
}
