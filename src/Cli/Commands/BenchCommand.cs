using EdgePruning.Kernels;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Benchmarking;
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
        var layers = new Option<int?>("--layers") { Description = "keep only the first N layers (makes large shapes feasible on a CPU)" };
        var batch = new Option<int>("--batch") { Description = "sequences per step", DefaultValueFactory = _ => 4 };
        var seq = new Option<int>("--seq") { Description = "tokens per sequence", DefaultValueFactory = _ => 64 };
        var microBatch = new Option<int?>("--micro-batch") { Description = "sequences per forward/backward (default: the whole batch)" };
        var steps = new Option<int>("--steps") { Description = "timed steps", DefaultValueFactory = _ => 3 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps before them", DefaultValueFactory = _ => 1 };
        var dtype = new Option<string>("--dtype") { Description = "f32 or bf16 (weights and activations; the CPU backend computes in f32)", DefaultValueFactory = _ => "f32" };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: all cores)" };
        var embeddingNodes = new Option<int?>("--embedding-nodes") { Description = "0, 1 or 2 embedding writers (default: the family's)" };
        var planOnly = new Option<bool>("--plan-only") { Description = "print the memory plan and stop (any device and dtype)" };
        var budget = new Option<double?>("--budget-gb") { Description = "device memory in GB (10⁹ bytes): say whether the plan fits and the largest micro-batch that does" };
        var command = new Command("bench", "time Edge Pruning steps on random weights of a model shape, with the memory plan")
        {
            shape, layers, batch, seq, microBatch, steps, warmup, dtype, device, threads, embeddingNodes, planOnly, budget,
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
            var settings = new PruneStepSettings
            {
                Batch = parse.GetValue(batch), SeqLen = parse.GetValue(seq), MicroBatch = parse.GetValue(microBatch),
                Steps = parse.GetValue(steps), Warmup = parse.GetValue(warmup),
            };
            settings.Validate();
            var request = PruneStepBenchmark.PlanRequest(config, e, settings);
            // The trainer keeps every layer's activations for the backward on either device.
            if (dev == "cuda") request = request with { WeightDType = type, ActivationDType = type };
            var plan = MemoryPlanner.Plan(request);
            long? budgetBytes = parse.GetValue(budget) is { } gb ? checked((long)(gb * 1e9)) : null;

            var result = new JsonObject
            {
                ["shape"] = shapeName,
                ["device"] = dev,
                ["dtype"] = type.Name(),
                ["layers"] = config.Layers,
                ["edges"] = EdgeGraph.CountEdges(config, e),
                ["writers"] = EdgeGraph.WriterCount(config, e),
                ["memory_plan"] = plan.ToJson(),
            };
            if (budgetBytes is { } bb)
                result["budget"] = new JsonObject
                {
                    ["bytes"] = bb, ["fits"] = plan.Fits(bb), ["largest_micro_batch"] = MemoryPlanner.LargestMicroBatch(request, bb),
                };
            if (only) return CommandOutput.Emit(parse, result, o => PrintPlan(o, plan, budgetBytes));

            using var backend = dev == "cuda" ? KernelBackends.Open("cuda") : null;
            if (backend is not null) result["device_description"] = backend.Description;

            if (!json)
            {
                // People see the plan before waiting for the steps; --json keeps it for the one document.
                PrintPlan(parse.InvocationConfiguration.Output, plan, budgetBytes);
                err.WriteLine($"building {shapeName} ({config.Layers} layers) with random weights…");
            }
            var kernels = parse.GetValue(threads) is { } t ? new CpuKernels(t) : CpuKernels.Instance;
            var bench = backend is null ? new PruneStepBenchmark(config, e, kernels) : new PruneStepBenchmark(config, e, backend, type);
            var m = bench.Measure(settings, (i, ms) =>
            {
                if (json) CommandOutput.WriteEvent(err, "step", new JsonObject { ["step"] = i + 1, ["steps"] = settings.Steps, ["ms"] = ms });
                else err.WriteLine($"step {i + 1}/{settings.Steps}: {ms:F1} ms");
            });
            result["step_ms"] = new JsonArray([.. m.StepMilliseconds.Select(v => (JsonNode?)v)]);
            result["ms_per_step"] = new JsonObject { ["median"] = m.MedianMilliseconds, ["min"] = m.MinMilliseconds, ["max"] = m.MaxMilliseconds };
            result["tokens_per_step"] = m.TokensPerStep;
            result["tokens_per_second"] = m.TokensPerSecond;
            result["launches_per_step"] = new JsonObject
            {
                ["total"] = m.LaunchesPerStep.Launches,
                ["by_kind"] = new JsonObject([.. m.LaunchesPerStep.ByKind.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
                ["gemm_flops"] = m.LaunchesPerStep.GemmFlops,
            };
            result["peak"] = m.Peak.ToJson();
            return CommandOutput.Emit(parse, result, o => PrintMeasurement(o, m, plan));
        });
        return command;
    }

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

    private static void PrintMeasurement(TextWriter o, PruneStepMeasurement m, MemoryPlan plan)
    {
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        var table = new Table().Title($"{m.StepMilliseconds.Count} timed steps");
        table.AddColumn("measure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("ms/step (median)", F(m.MedianMilliseconds, "F1"));
        table.AddRow("ms/step (min–max)", $"{F(m.MinMilliseconds, "F1")}–{F(m.MaxMilliseconds, "F1")}");
        table.AddRow("tokens/s", F(m.TokensPerSecond, "N0"));
        table.AddRow("launches/step", m.LaunchesPerStep.Launches.ToString(CultureInfo.InvariantCulture));
        table.AddRow("GEMM GFLOP/step", F(m.LaunchesPerStep.GemmFlops / 1e9, "F2"));
        if (m.Peak.DevicePeakBytes is { } device)
            table.AddRow("device peak (planned)", $"{ByteCount.Format(device)} ({ByteCount.Format(plan.TotalBytes)})");
        else
            table.AddRow("arena peak (planned)", $"{ByteCount.Format(m.Peak.ArenaHighWaterBytes)} ({ByteCount.Format(plan.ArenaBytes)})");
        table.AddRow("process peak working set", ByteCount.Format(m.Peak.ProcessPeakWorkingSetBytes));
        Plain(o).Write(table);
    }
}
