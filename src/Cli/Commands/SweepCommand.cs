using System.CommandLine;
using System.Globalization;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Sweep;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using Spectre.Console;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune sweep</c>: circuits from several discovery methods at several sizes on one model and task,
/// scored alike (KL, MIB faithfulness, CPR, CMD); writes sweep.csv and sweep.png and prints the table.
/// </summary>
public static class SweepCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "model file or directory" };
        var task = new Option<string?>("--task") { Description = "task name or FILE.jsonl (default for Tracr models: tracr)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file or directory (default: found beside the model)" };
        var methods = new Option<string>("--methods") { Description = "comma-separated: ep, eap, eap-ig, acdc, ep-ig (Edge Pruning warm-started from EAP-IG)", DefaultValueFactory = _ => "ep,eap,eap-ig,acdc" };
        var sizes = new Option<string?>("--sizes") { Description = "comma-separated circuit sizes: below 1 a fraction of the edges, else an edge count (default: MIB's 0.1%…100%)" };
        var steps = new Option<int?>("--steps") { Description = "Edge Pruning steps per size (default: the task's recipe)" }.AtLeast(1);
        var igSteps = new Option<int>("--ig-steps") { Description = "EAP-IG interpolation steps", DefaultValueFactory = _ => 5 }.AtLeast(1);
        var thresholds = new Option<string?>("--acdc-thresholds") { Description = "comma-separated ACDC KL thresholds, one run each" };
        var candidates = new Option<int>("--acdc-candidates")
        {
            Description = "ACDC trials scored per masked forward, over that many copies of each batch (1: one forward per trial; 0: as many as 1 GiB holds); the same circuits",
            DefaultValueFactory = _ => 1,
        }.AtLeast(0);
        var examples = new Option<int?>("--examples") { Description = "at most this many training examples for attribution and ACDC" }.AtLeast(1);
        var evalExamples = new Option<int?>("--eval-examples") { Description = "at most this many test examples to score circuits" }.AtLeast(1);
        var batch = new Option<int?>("--batch") { Description = "sequences per forward (default: the task's recipe)" }.AtLeast(1);
        var ablation = new Option<string?>("--ablation") { Description = "interchange, zero or mean (default: the task's)" };
        var sparsityWarmup = new Option<int?>("--sparsity-warmup") { Description = "Edge Pruning's sparsity warm-up in steps (default: the recipe's share of --steps)" }.AtLeast(0);
        var lrWarmup = new Option<int?>("--lr-warmup") { Description = "Edge Pruning's learning-rate warm-up in steps (default: the recipe's share of --steps)" }.AtLeast(0);
        var initMean = new Option<double?>("--init-mean") { Description = "mean of Edge Pruning's initial log α (default: the recipe's, 10)" };
        var lr = new Option<double?>("--lr") { Description = "learning rate of Edge Pruning's mask logits, edges and nodes (default: the task's recipe)" }.Positive();
        var lambdaLr = new Option<double?>("--lambda-lr") { Description = "learning rate of Edge Pruning's Lagrange multipliers (default: the task's recipe)" }.Positive(orZero: true);
        var nodeMasks = new Option<bool?>("--node-masks") { Description = "Edge Pruning trains a mask per writer too (default: the task's recipe)" };
        var readout = new Option<string?>("--readout") { Description = "size (Edge Pruning binarized at exactly each size) or reached (where each run ends, as the paper reads out; EAP and EAP-IG are scored at those sizes too) [default: size, reached with --targets]" };
        var targets = new Option<string?>("--targets") { Description = "comma-separated Edge Pruning target sparsities, one run each, read out where each run ends (above 1 pushes for the sparsest circuit); instead of --sizes for ep and ep-ig" };
        var outDir = new Option<string?>("--out") { Description = "folder for sweep.csv and sweep.png (default: runs/sweep-<task>)" };
        var command = new Command("sweep", "compare circuit-discovery methods by faithfulness curves")
        {
            model, task, tokenizer, methods, sizes, steps, igSteps, thresholds, candidates, examples, evalExamples, batch, ablation, nodeMasks, sparsityWarmup, lrWarmup, initMean, lr, lambdaLr, readout, targets, outDir,
        };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var err = parse.InvocationConfiguration.Error;
            string modelPath = parse.GetValue(model) ?? throw new EdgePruningException("no --model given (a model file or directory)");
            RunDevice? runDevice = null;
            var job = PruningJob.Create(modelPath, parse.GetValue(task) ?? "tracr", loaded => runDevice = devices.Open(parse, loaded), d => d with
            {
                Batch = parse.GetValue(batch) ?? d.Batch,
                Ablation = parse.GetValue(ablation) is { } a ? AblationNames.Parse(a) : d.Ablation,
                NodeMasks = parse.GetValue(nodeMasks) ?? d.NodeMasks,
                InitMean = parse.GetValue(initMean) ?? d.InitMean,
                EdgeLr = parse.GetValue(lr) ?? d.EdgeLr,
                NodeLr = parse.GetValue(lr) ?? d.NodeLr,
                EdgeLambdaLr = parse.GetValue(lambdaLr) ?? d.EdgeLambdaLr,
                NodeLambdaLr = parse.GetValue(lambdaLr) ?? d.NodeLambdaLr,
            }, parse.GetValue(tokenizer));
            using var deviceLease = runDevice;
            DeviceOptions.Announce(err, false, runDevice!);
            var defaults = new SweepOptions();
            var options = new SweepOptions
            {
                Methods = parse.GetValue(methods)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Sizes = parse.GetValue(sizes) is { } s ? Numbers(s, "--sizes") : defaults.Sizes,
                EpSteps = parse.GetValue(steps),
                EpSparsityWarmup = parse.GetValue(sparsityWarmup),
                EpLrWarmup = parse.GetValue(lrWarmup),
                IgSteps = parse.GetValue(igSteps),
                AcdcThresholds = parse.GetValue(thresholds) is { } th ? Numbers(th, "--acdc-thresholds") : defaults.AcdcThresholds,
                AcdcCandidatesPerForward = parse.GetValue(candidates),
                DiscoveryExamples = parse.GetValue(examples),
                EvaluationExamples = parse.GetValue(evalExamples),
                Batch = job.Options.Batch,
                EpTargets = parse.GetValue(targets) is { } ts ? Numbers(ts, "--targets") : null,
                Readout = parse.GetValue(readout) switch
                {
                    null => parse.GetValue(targets) is null ? SweepReadout.Size : SweepReadout.Reached,
                    "size" => SweepReadout.Size,
                    "reached" => SweepReadout.Reached,
                    var r => throw new EdgePruningException($"--readout: '{r}' is neither size nor reached"),
                },
            };
            err.WriteLine($"{job.Task.Name} on {modelPath}: {job.Masked.EdgeCount:N0} edges, {job.Options.Ablation.Name()} ablation; " +
                $"methods {string.Join(", ", options.Methods)}; sizes {string.Join(", ", options.EdgeCounts(job.Masked.EdgeCount))}" +
                (options.EpTargets is { } t ? $"; Edge Pruning targets {string.Join(", ", t)}" : "") +
                (options.Readout == SweepReadout.Reached ? "; Edge Pruning read out where each run ends" : ""));
            string dir = parse.GetValue(outDir) ?? Path.Combine("runs", "sweep-" + job.Task.Name);
            RunFolder.Ensure(dir);
            var result = new SweepRunner(job, options)
            {
                Progress = (m, msg) => err.WriteLine($"  {m} {msg}"),
                PointsFile = Path.Combine(dir, "points.csv"), // a sweep run again into the same folder resumes point by point
                CircuitsFolder = Path.Combine(dir, "circuits"),
            }.Run();

            string csv = Path.Combine(dir, "sweep.csv"), png = Path.Combine(dir, "sweep.png");
            SweepCsv.Write(result, csv);
            Print(o, result);
            o.WriteLine($"wrote {csv}");
            var sameSize = SameSizeComparison.Rows(result);
            if (sameSize.Any(r => r.Baseline is not null))
            {
                string sameCsv = Path.Combine(dir, "same-size.csv");
                SweepCsv.WriteSameSize(sameSize, sameCsv);
                PrintSameSize(o, sameSize);
                o.WriteLine($"wrote {sameCsv}");
            }
            try
            {
                SweepPlot.SavePng(result, png);
                o.WriteLine($"wrote {png}");
            }
            catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException)
            {
                err.WriteLine($"the plot was not drawn ({ex.GetBaseException().Message}); the CSV holds every point");
            }
            return 0;
        });
        return command;
    }

    private static double[] Numbers(string list, string option) => list
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
            ? x : throw new EdgePruningException($"{option}: '{v}' is not a number"))
        .ToArray();

    private static void Print(TextWriter o, SweepResult r)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var table = new Table().Title($"{r.Task}: {r.TotalEdges} edges, m(full) = {r.FullMetric:G4}, m(empty) = {r.EmptyMetric:G4}");
        foreach (var c in new[] { "method", "setting", "edges", "KL", "faithfulness", "accuracy", "trained sparsity", "seconds" }) table.AddColumn(c);
        static string Maybe(double v, string format) => double.IsNaN(v) ? "" : v.ToString(format, CultureInfo.InvariantCulture);
        foreach (var m in r.Methods)
        {
            foreach (var p in m.Points)
                table.AddRow(m.Method, p.Setting, p.Edges.ToString(CultureInfo.InvariantCulture), p.Kl.ToString("G4", CultureInfo.InvariantCulture),
                    p.Faithfulness.ToString("F3", CultureInfo.InvariantCulture), Maybe(p.Accuracy, "F3"), Maybe(p.TrainedSparsity, "F4"),
                    p.Seconds.ToString("F2", CultureInfo.InvariantCulture));
            table.AddRow($"[bold]{m.Method}[/]", "CPR / CMD", "", "", $"{m.Cpr:F3} / {m.Cmd:F3}", "", "", m.Seconds.ToString("F2", CultureInfo.InvariantCulture));
        }
        console.Write(table);
    }

    private static void PrintSameSize(TextWriter o, IReadOnlyList<SameSizeRow> rows)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(o), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        var table = new Table().Title("Edge Pruning against the best baseline of the same size (KL, lower is better)");
        foreach (var c in new[] { "method", "setting", "edges", "KL", "best baseline", "its KL", "at or below" }) table.AddColumn(c);
        static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        foreach (var r in rows)
            table.AddRow(r.Method, r.Setting, r.Edges.ToString(CultureInfo.InvariantCulture), G(r.Kl), r.Baseline ?? "none of this size",
                r.Baseline is null ? "" : G(r.BaselineKl), r.Baseline is null ? "" : r.AtOrBelow ? "yes" : "no");
        console.Write(table);
        foreach (var m in rows.GroupBy(r => r.Method))
        {
            int compared = m.Count(r => r.Baseline is not null);
            o.WriteLine($"{m.Key}: at or below the best baseline at {m.Count(r => r.AtOrBelow)} of {compared} sizes with a baseline of the same size");
        }
    }
}
