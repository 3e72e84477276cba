using EdgePruning.Kernels;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Recording;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;
using EdgePruning.Runtime;
using Spectre.Console;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune bench</c>: the memory plan of an Edge Pruning step on a named model shape, then whole
/// steps timed on random weights (ms/step, tokens/s, kernel launches, measured peak memory). With
/// <c>--plan-only</c> nothing runs, so the plan of a 13B shape on a GPU can be read on any machine.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var shape = new Option<string>("--shape") { Description = $"model shape: {string.Join(", ", BenchmarkShapes.Names)}", DefaultValueFactory = _ => BenchmarkShapes.Default };
        var layers = new Option<int?>("--layers") { Description = "keep only the first N layers (makes large shapes feasible on a CPU)" }.AtLeast(1);
        var batch = new Option<int>("--batch") { Description = "sequences per step", DefaultValueFactory = _ => 4 }.AtLeast(1);
        var seq = new Option<int>("--seq") { Description = "tokens per sequence", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var microBatch = new Option<int?>("--micro-batch") { Description = "sequences per forward/backward (default: the whole batch)" }.AtLeast(1);
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var warmup = new Option<int>("--warmup") { Description = "untimed steps before them", DefaultValueFactory = _ => 1 }.AtLeast(0);
        var dtype = new Option<string>("--dtype") { Description = "f32 or bf16 (weights and activations; the CPU backend computes in f32)", DefaultValueFactory = _ => "f32" };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" }.AtLeast(1);
        var embeddingNodes = new Option<int?>("--embedding-nodes") { Description = "0, 1 or 2 embedding writers (default: the family's)" }.AtLeast(0, 2);
        var planOnly = new Option<bool>("--plan-only") { Description = "print the memory plan and stop (any device and dtype)" };
        var budget = new Option<double?>("--budget-gb") { Description = "device memory in GB (10⁹ bytes): say whether the plan fits and the largest micro-batch that does" }.Positive();
        var read = new Option<string>("--masked-read")
        {
            Description = "fused, unfused, auto (fused on a GPU) or both: the fused and the unfused read timed one after the other on the same model (needs norms; else unfused)",
            DefaultValueFactory = _ => "both",
        };
        var recompute = new Option<bool>("--recompute") { Description = "recompute each layer in the backward (one layer's activations live at a time)" };
        var launches = new Option<bool>("--launches")
        {
            Description = "count one step's kernel launches on the host, on the shape's graph with the smallest widths (the same launches as the full shape), and time nothing",
        };
        var graph = new Option<string>("--cuda-graph")
        {
            Description = "off, on or both: run the steps through one captured CUDA graph (fed and launched each step), or both ways one after the other (needs --device cuda)",
            DefaultValueFactory = _ => "off",
        };
        var command = new Command("bench", "time Edge Pruning steps on random weights of a model shape, with the memory plan")
        {
            shape, layers, batch, seq, microBatch, steps, warmup, dtype, device, threads, embeddingNodes, planOnly, budget, read, recompute, launches, graph,
        };
        command.SetAction(parse =>
        {
            var err = parse.InvocationConfiguration.Error;
            bool json = CommandOutput.IsJson(parse);
            string shapeName = parse.GetValue(shape)!;
            var config = BenchmarkShapes.Get(shapeName, parse.GetValue(layers));
            var type = DTypeInfo.Parse(parse.GetValue(dtype)!);
            string dev = parse.GetValue(device)!.ToLowerInvariant();
            bool only = parse.GetValue(planOnly);
            if (dev is not ("cpu" or "cuda")) throw new EdgePruningException($"unknown device '{dev}' (expected cpu or cuda)");
            if (type == DType.F16) throw new EdgePruningException("--dtype f16 is not offered: use f32 or bf16");
            if (dev == "cpu" && type != DType.F32)
                throw new EdgePruningException($"--dtype {type.Name()} is not supported on the CPU backend, which computes in f32; use --dtype f32 (or --device cuda --plan-only for a {type.Name()} memory plan)");

            int e = parse.GetValue(embeddingNodes) ?? EdgeGraph.DefaultEmbeddingNodes(config);
            bool rec = parse.GetValue(recompute);
            var passes = ReadPaths(parse.GetValue(read)!, config).Select(p => new MaskedPassSettings(p, rec)).ToArray();
            bool[] graphs = GraphModes(parse.GetValue(graph)!);
            if (graphs.Contains(true) && dev != "cuda" && !only && !parse.GetValue(launches))
                throw new EdgePruningException("--cuda-graph needs --device cuda (the host trainer launches no kernels to capture)");
            var variants = passes.SelectMany(p => graphs.Select(g => (Pass: p, Graph: g))).ToArray();
            var settings = new PruneStepSettings
            {
                Batch = parse.GetValue(batch), SeqLen = parse.GetValue(seq), MicroBatch = parse.GetValue(microBatch),
                Steps = parse.GetValue(steps), Warmup = parse.GetValue(warmup),
            };
            settings.Validate();
            long? budgetBytes = parse.GetValue(budget) is { } gb ? checked((long)(gb * 1e9)) : null;
            bool Fused(MaskedPassSettings p) => p.ReadsFused(config, onDevice: dev == "cuda");
            MemoryPlan PlanOf(MaskedPassSettings p) => MemoryPlanner.Plan(PruneStepBenchmark.PlanRequest(config, e, settings with { Pass = p }, Fused(p))
                with { WeightDType = type, ActivationDType = type });

            var result = new JsonObject
            {
                ["shape"] = shapeName,
                ["device"] = dev,
                ["dtype"] = type.Name(),
                ["layers"] = config.Layers,
                ["edges"] = EdgeGraph.CountEdges(config, e),
                ["writers"] = EdgeGraph.WriterCount(config, e),
            };
            var runs = new JsonArray();
            result["runs"] = runs;
            var plans = variants.Select(v => PlanOf(v.Pass)).ToArray();
            for (int i = 0; i < variants.Length; i++)
            {
                var run = new JsonObject
                {
                    ["masked_read"] = Fused(variants[i].Pass) ? "fused" : "unfused",
                    ["recompute"] = rec,
                    ["cuda_graph"] = variants[i].Graph,
                    ["memory_plan"] = plans[i].ToJson(),
                };
                if (budgetBytes is { } bb)
                    run["budget"] = new JsonObject
                    {
                        ["bytes"] = bb, ["fits"] = plans[i].Fits(bb), ["largest_micro_batch"] = MemoryPlanner.LargestMicroBatch(plans[i].Request, bb),
                    };
                runs.Add((JsonNode)run);
            }
            if (only) return CommandOutput.Emit(parse, result, o => { foreach (var plan in plans) PrintPlan(o, plan, budgetBytes); });
            if (parse.GetValue(launches))
            {
                // The widths do not change which kernels a step launches: count them on the skeleton, on the host
                // backend, which issues what a GPU does (zero fills included).
                using var host = new CpuKernelBackend();
                var skeleton = new PruneStepBenchmark(BenchmarkShapes.Skeleton(config), e, host, DType.F32);
                var counted = variants.Select(v => skeleton.CountLaunches(settings with { SeqLen = Math.Min(settings.SeqLen, 4), Pass = v.Pass })).ToArray();
                for (int i = 0; i < variants.Length; i++) ((JsonObject)runs[i]!)["launches_per_step"] = LaunchJson(counted[i]);
                result["launches_counted_on"] = "the shape's graph with the smallest widths, on the host backend";
                return CommandOutput.Emit(parse, result, o => PrintLaunches(o, variants.Select(v => Fused(v.Pass)).ToArray(), rec, counted));
            }

            using var backend = dev == "cuda" ? KernelBackends.Open("cuda") : null;
            if (backend is not null) result["device_description"] = backend.Description;

            if (!json)
            {
                // People see the plans before waiting for the steps; --json keeps them for the one document.
                foreach (var plan in plans) PrintPlan(parse.InvocationConfiguration.Output, plan, budgetBytes);
                err.WriteLine($"building {shapeName} ({config.Layers} layers) with random weights…");
            }
            var kernels = parse.GetValue(threads) is { } t ? new CpuKernels(t) : CpuKernels.Instance;
            var bench = backend is null ? new PruneStepBenchmark(config, e, kernels) : new PruneStepBenchmark(config, e, backend, type);
            var measured = new List<PruneStepMeasurement>();
            for (int i = 0; i < variants.Length; i++)
            {
                var (pass, captured) = variants[i];
                string label = variants.Length > 1 ? $"{(Fused(pass) ? "fused" : "unfused")} read{(captured ? ", graph" : "")}, " : "";
                var m = bench.Measure(settings with { Pass = pass, CaptureSteps = captured }, (k, ms) =>
                {
                    if (json)
                        CommandOutput.WriteEvent(err, "step", new JsonObject
                        {
                            ["read"] = Fused(pass) ? "fused" : "unfused", ["cuda_graph"] = captured, ["step"] = k + 1, ["steps"] = settings.Steps, ["ms"] = ms,
                        });
                    else err.WriteLine($"{label}step {k + 1}/{settings.Steps}: {ms:F1} ms");
                });
                measured.Add(m);
                Describe((JsonObject)runs[i]!, m);
            }
            var direct = measured.Where(m => !m.CaptureSteps).ToList();
            if (direct.Count == 2 && direct[0].FusedReads != direct[1].FusedReads)
            {
                var f = direct.First(m => m.FusedReads);
                var u = direct.First(m => !m.FusedReads);
                result["fused_step_speedup"] = u.MedianMilliseconds / f.MedianMilliseconds;
                result["fused_read_speedup"] = u.ReadsForward.Seconds + u.ReadsBackward.Seconds is var us and > 0
                    ? us / (f.ReadsForward.Seconds + f.ReadsBackward.Seconds) : null;
            }
            // Each read path's step through the graph against the same path launch by launch.
            var graphSpeedups = new JsonObject();
            foreach (var g in measured.Where(m => m.CaptureSteps))
                if (measured.FirstOrDefault(m => !m.CaptureSteps && m.FusedReads == g.FusedReads) is { } d)
                    graphSpeedups[g.FusedReads ? "fused" : "unfused"] = d.MedianMilliseconds / g.MedianMilliseconds;
            if (graphSpeedups.Count > 0) result["graph_step_speedup"] = graphSpeedups;
            return CommandOutput.Emit(parse, result, o => PrintMeasurements(o, measured, plans, result));
        });
        return command;
    }

    /// <summary>Without and with a captured graph, as <c>--cuda-graph</c> names them.</summary>
    private static bool[] GraphModes(string value) => value.ToLowerInvariant() switch
    {
        "off" => [false],
        "on" => [true],
        "both" => [false, true],
        _ => throw new EdgePruningException($"unknown --cuda-graph '{value}' (expected off, on or both)"),
    };

    /// <summary>The read paths <c>--masked-read</c> names, for a model of <paramref name="config"/>.</summary>
    private static MaskedReadPath[] ReadPaths(string value, TransformerConfig config) => value.ToLowerInvariant() switch
    {
        "fused" => [MaskedReadPath.Fused],
        "unfused" => [MaskedReadPath.Unfused],
        "auto" => [MaskedReadPath.Auto],
        "both" => EdgeMaskedModel.SupportsFusedReads(config) ? [MaskedReadPath.Fused, MaskedReadPath.Unfused] : [MaskedReadPath.Unfused],
        _ => throw new EdgePruningException($"unknown --masked-read '{value}' (expected fused, unfused, auto or both)"),
    };

    private static void Describe(JsonObject run, PruneStepMeasurement m)
    {
        run["step_ms"] = new JsonArray([.. m.StepMilliseconds.Select(v => (JsonNode?)v)]);
        run["ms_per_step"] = new JsonObject { ["median"] = m.MedianMilliseconds, ["min"] = m.MinMilliseconds, ["max"] = m.MaxMilliseconds };
        run["tokens_per_step"] = m.TokensPerStep;
        run["tokens_per_second"] = m.TokensPerSecond;
        var launches = LaunchJson(m.LaunchesPerStep);
        launches["repeat_step_to_step"] = m.LaunchesRepeat;
        launches["first_difference"] = m.LaunchDifference;
        run["launches_per_step"] = launches;
        run["masked_reads"] = new JsonObject { ["forward"] = Traffic(m.ReadsForward), ["backward"] = Traffic(m.ReadsBackward) };
        run["peak"] = m.Peak.ToJson();
        if (m.Graph is { } g)
            run["graph"] = new JsonObject
            {
                ["captures"] = g.Captures, ["graph_launches"] = g.GraphLaunches, ["operations"] = g.Operations,
                ["unavailable"] = g.Unavailable, ["last_difference"] = g.LastDifference,
            };
    }

    private static JsonObject LaunchJson(LaunchSummary s) => new()
    {
        ["total"] = s.Launches,
        ["by_family"] = new JsonObject([.. s.ByFamily.Select(kv => KeyValuePair.Create(kv.Key.ToString(), (JsonNode?)kv.Value))]),
        ["by_kind"] = new JsonObject([.. s.ByKind.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
        ["gemm_flops"] = s.GemmFlops,
    };

    private static void PrintLaunches(TextWriter o, bool[] fused, bool recompute, LaunchSummary[] counted)
    {
        var table = new Table().Title("kernel launches of one step (counted on the shape's graph with the smallest widths)");
        table.AddColumn("launches");
        foreach (bool f in fused) table.AddColumn(new TableColumn($"{(f ? "fused" : "unfused")} read{(recompute ? ", recompute" : "")}").RightAligned());
        table.AddRow(["total", .. counted.Select(c => c.Launches.ToString("N0", CultureInfo.InvariantCulture))]);
        foreach (var family in counted.SelectMany(c => c.ByFamily.Keys).Distinct().Order())
            table.AddRow([family.ToString(), .. counted.Select(c => c.ByFamily.GetValueOrDefault(family).ToString("N0", CultureInfo.InvariantCulture))]);
        foreach (var kind in counted.SelectMany(c => c.ByKind.Keys).Distinct().OrderByDescending(k => counted.Max(c => c.ByKind.GetValueOrDefault(k))).Take(12))
            table.AddRow(["  " + kind, .. counted.Select(c => c.ByKind.GetValueOrDefault(kind).ToString("N0", CultureInfo.InvariantCulture))]);
        Plain(o).Write(table);
    }

    private static JsonObject Traffic(ReadTraffic t) => new()
    {
        ["calls"] = t.Calls, ["bytes"] = t.Bytes, ["seconds"] = t.Seconds, ["gb_per_s"] = t.GigabytesPerSecond,
    };

    /// <summary>A console without colours on <paramref name="o"/>, wide enough for a formula per row.</summary>
    private static IAnsiConsole Plain(TextWriter o)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = Math.Max(console.Profile.Width, 150);
        return console;
    }

    private static void PrintPlan(TextWriter o, MemoryPlan plan, long? budgetBytes)
    {
        var table = new Table().Title(new TableTitle(Markup.Escape("memory plan: " + plan.Describe())));
        table.AddColumn("term");
        table.AddColumn(new TableColumn("bytes").RightAligned());
        table.AddColumn("formula");
        foreach (var t in plan.Terms) table.AddRow(new Text(t.Key), new Text(ByteCount.Format(t.Bytes)), new Text(t.Formula));
        table.AddRow(new Text("run"), new Text(ByteCount.Format(plan.RunBytes)), new Text("weights, masks, optimizer state"));
        table.AddRow(new Text("micro-batch"), new Text(ByteCount.Format(plan.MicroBatchBytes)), new Text("activations, stack, logits of one micro-batch"));
        table.AddRow(new Text("total"), new Text(ByteCount.Format(plan.TotalBytes)), new Text(""));
        Plain(o).Write(table);
        if (budgetBytes is { } b)
        {
            int largest = MemoryPlanner.LargestMicroBatch(plan.Request, b);
            o.WriteLine($"budget {ByteCount.Format(b)}: {(plan.Fits(b) ? "fits" : "does not fit")}; " +
                (largest == 0 ? "no micro-batch fits" : $"largest micro-batch that fits: {largest} ({(plan.Request.Batch + largest - 1) / largest} per step of {plan.Request.Batch})"));
        }
    }

    private static void PrintMeasurements(TextWriter o, IReadOnlyList<PruneStepMeasurement> runs, IReadOnlyList<MemoryPlan> plans, JsonObject result)
    {
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        var table = new Table().Title($"{runs[0].StepMilliseconds.Count} timed steps per read path");
        table.AddColumn("measure");
        foreach (var m in runs)
            table.AddColumn(new TableColumn($"{(m.FusedReads ? "fused" : "unfused")} read{(m.Recompute ? ", recompute" : "")}{(m.CaptureSteps ? ", graph" : "")}").RightAligned());
        void Row(string name, Func<PruneStepMeasurement, int, string> value) =>
            table.AddRow([name, .. runs.Select((m, i) => value(m, i))]);
        Row("ms/step (median)", (m, _) => F(m.MedianMilliseconds, "F1"));
        Row("ms/step (min–max)", (m, _) => $"{F(m.MinMilliseconds, "F1")}–{F(m.MaxMilliseconds, "F1")}");
        Row("tokens/s", (m, _) => F(m.TokensPerSecond, "N0"));
        Row("launches/step", (m, _) => m.LaunchesPerStep.Launches.ToString(CultureInfo.InvariantCulture));
        Row("launches repeat step to step", (m, _) => m.LaunchesRepeat switch { true => "yes", false => "no", null => "(one step recorded)" });
        if (runs.Any(m => m.Graph is not null))
            Row("graph captures / steps launched", (m, _) => m.Graph is { } g ? $"{g.Captures} / {g.GraphLaunches}" : "—");
        Row("GEMM GFLOP/step", (m, _) => F(m.LaunchesPerStep.GemmFlops / 1e9, "F2"));
        Row("masked reads fwd GB/s", (m, _) => $"{F(m.ReadsForward.GigabytesPerSecond, "F1")} ({F(m.ReadsForward.Seconds * 1e3, "F1")} ms)");
        Row("masked reads bwd GB/s", (m, _) => $"{F(m.ReadsBackward.GigabytesPerSecond, "F1")} ({F(m.ReadsBackward.Seconds * 1e3, "F1")} ms)");
        if (runs[0].Peak.DevicePeakBytes is not null)
            Row("device peak (planned)", (m, i) => $"{ByteCount.Format(m.Peak.DevicePeakBytes ?? 0)} ({ByteCount.Format(plans[i].TotalBytes)})");
        else
            Row("arena peak (planned)", (m, i) => $"{ByteCount.Format(m.Peak.ArenaHighWaterBytes)} ({ByteCount.Format(plans[i].ArenaBytes)})");
        Row("process peak working set", (m, _) => ByteCount.Format(m.Peak.ProcessPeakWorkingSetBytes));
        Plain(o).Write(table);
        foreach (var m in runs.Where(m => m.LaunchDifference is not null))
            o.WriteLine($"{(m.FusedReads ? "fused" : "unfused")} read: the second step's launches differ from the first's at {m.LaunchDifference}");
        foreach (var m in runs.Where(m => m.Graph?.Unavailable is not null))
            o.WriteLine($"{(m.FusedReads ? "fused" : "unfused")} read: steps ran without a graph: {m.Graph!.Unavailable}");
        if (result["graph_step_speedup"] is JsonObject speedups)
            foreach (var (path, value) in speedups)
                o.WriteLine($"{path} read: a step through the CUDA graph is {F(value!.GetValue<double>(), "F2")}× the step launch by launch");
        if (result["fused_step_speedup"] is { } step)
            o.WriteLine($"fused read: step {F(step.GetValue<double>(), "F2")}× the unfused" +
                (result["fused_read_speedup"] is { } reads ? $", masked reads {F(reads.GetValue<double>(), "F2")}×" : ""));
    }
}
