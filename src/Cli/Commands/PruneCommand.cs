using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Planning;
using EdgePruning.Pruning.Rasp;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using Spectre.Console;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune prune</c>: trains edge masks on a task and writes the circuit. Options left out take the
/// task's recipe (the paper's hyperparameters). Progress goes to stderr, the result table to stdout.
/// </summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "model file or directory (default: compile and prune a built-in RASP program)" };
        var program = new Option<string?>("--program") { Description = $"built-in RASP program to compile and prune when no --model is given (default {Programs.Default}; see edgeprune rasp list)" };
        var task = new Option<string?>("--task") { Description = "ioi, gt, gp, gp-stories, bool-instruct, bool-fewshot, bool-zeroshot, tracr, tracr-reverse, tracr-xproportion, or FILE.jsonl (default for Tracr models: tracr)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenizer file or directory (default: found beside the model)" };
        var target = new Option<double?>("--target-sparsity") { Description = "edge sparsity target in [0, 2] (above 1 pushes for the sparsest circuit)" }.Within(0, 2);
        var nodeTarget = new Option<double?>("--node-target") { Description = "node sparsity target in [0, 2] (enables the node Lagrangian)" }.Within(0, 2);
        var nodeMasks = new Option<bool?>("--node-masks") { Description = "train a mask per writer too (default: the task's recipe)" };
        var steps = new Option<int?>("--steps") { Description = "training steps" }.AtLeast(1);
        var batch = new Option<int?>("--batch") { Description = "sequences per step" }.AtLeast(1);
        var lr = new Option<double?>("--lr") { Description = "learning rate of the mask logits" }.Positive();
        var lambdaLr = new Option<double?>("--lambda-lr") { Description = "learning rate of the Lagrange multipliers" }.Positive(orZero: true);
        var sparsityWarmup = new Option<int?>("--sparsity-warmup") { Description = "steps over which the target ramps up from 0" }.AtLeast(0);
        var lrWarmup = new Option<int?>("--lr-warmup") { Description = "steps of linear learning-rate warm-up" }.AtLeast(0);
        var ablation = new Option<string?>("--ablation") { Description = "interchange (corrupted inputs), zero, mean, or optimal (a learned constant per writer)" };
        var seed = new Option<int?>("--seed") { Description = "seed of the mask samples and batch order" }.AtLeast(int.MinValue);
        var embeddingNodes = new Option<int?>("--embedding-nodes") { Description = "0, 1 (merged) or 2 (token and position) embedding writers" }.AtLeast(0, 2);
        var outDir = new Option<string?>("--out") { Description = "output folder for checkpoint.bin and circuit.json (default: runs/<task>)" };
        var resume = new Option<bool>("--resume") { Description = "continue the unfinished run in --out with its own settings" };
        var force = new Option<bool>("--force") { Description = "start afresh even where --out holds an unfinished run" };
        var checkpointEvery = new Option<int?>("--checkpoint-every") { Description = "save a checkpoint every N steps (0: only at the end)" }.AtLeast(0);
        var microBatch = new Option<int?>("--micro-batch") { Description = "sequences per forward/backward; the step accumulates over micro-batches (saves memory)" }.AtLeast(1);
        var binarize = new Option<double?>("--binarize-sparsity") { Description = "edge sparsity at which the final masks are thresholded (default: the soft masks' own sparsity)" }.Within(0, 1);
        var read = new Option<string?>("--masked-read") { Description = "auto (fused on a GPU), fused or unfused: how each reader reads the difference stack" };
        var warmStart = new Option<string?>("--warm-start") { Description = "eap or eap-ig: start the masks from that method's edge ranking at the target sparsity (the target then holds from step 0 unless --sparsity-warmup is given)" };
        var initMean = new Option<double?>("--init-mean") { Description = "mean of the initial mask logits log α (default 10, the reference's; lower values let gradients reach the masks from the first steps)" };
        var recompute = new Option<bool?>("--recompute") { Description = "recompute each layer in the backward: one layer's activations live at a time (saves memory, costs a forward)" };
        var maskMath = new Option<string?>("--mask-math") { Description = "auto, host or device: where the masks are sampled and optimized (auto: on the GPU from 1 M edges)" };
        var noise = new Option<string?>("--noise") { Description = "counter or system: the masks' noise stream (default: counter where the mask math runs on the device, else system; a CPU run with counter draws a GPU run's noise)" };
        var command = new Command("prune", "find a circuit with Edge Pruning")
        {
            model, program, task, tokenizer, target, nodeTarget, nodeMasks, steps, batch, lr, lambdaLr, sparsityWarmup, lrWarmup,
            ablation, seed, embeddingNodes, outDir, resume, force, checkpointEvery, binarize, microBatch, read, recompute, warmStart, initMean,
            maskMath, noise,
        };
        var devices = new DeviceOptions();
        devices.AddTo(command);
        command.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var err = parse.InvocationConfiguration.Error;
            bool json = CommandOutput.IsJson(parse);
            // Opened once the model is loaded (auto depends on its size); the same device serves a job made again on resume.
            RunDevice? runDevice = null;
            RunDevice Device(Models.TransformerConfig config) => runDevice ??= devices.Open(parse, config);
            var overrides = new PruningOverrides
            {
                TargetEdgeSparsity = parse.GetValue(target), TargetNodeSparsity = parse.GetValue(nodeTarget),
                NodeMasks = parse.GetValue(nodeMasks), Steps = parse.GetValue(steps), Batch = parse.GetValue(batch),
                MicroBatch = parse.GetValue(microBatch), Lr = parse.GetValue(lr), LambdaLr = parse.GetValue(lambdaLr),
                SparsityWarmupSteps = parse.GetValue(sparsityWarmup), LrWarmupSteps = parse.GetValue(lrWarmup),
                Ablation = parse.GetValue(ablation), Seed = parse.GetValue(seed), EmbeddingNodes = parse.GetValue(embeddingNodes),
                CheckpointEvery = parse.GetValue(checkpointEvery),
                MaskedRead = parse.GetValue(read), Recompute = parse.GetValue(recompute),
                WarmStart = parse.GetValue(warmStart) is { } w ? Pruning.Baselines.WarmStartMethod.Parse(w) : null,
                InitMean = parse.GetValue(initMean),
                MaskMath = parse.GetValue(maskMath), Noise = parse.GetValue(noise),
            };
            // Checked before anything loads when both are given; against the recipe's batch otherwise.
            MicroBatchRule.Check(overrides.MicroBatch, overrides.Batch);
            PruningOptions Configure(PruningOptions d)
            {
                var options = overrides.Apply(d);
                MicroBatchRule.Check(options.MicroBatch, options.Batch);
                return options;
            }

            string? modelPath = parse.GetValue(model);
            IReadOnlyList<string>? truth = null;
            Func<PruningJob> createJob;
            if (modelPath is null)
            {
                // No model: the embedded default, a RASP program compiled here whose circuit is known.
                if (parse.GetValue(task) is { } named)
                    throw new EdgePruningException($"--task {named} needs a --model; a built-in program brings its own task");
                var rasp = Programs.Get(parse.GetValue(program) ?? Programs.Default);
                var compiled = rasp.Compile();
                truth = rasp.GroundTruth(compiled);
                string raspPath = modelPath = "rasp:" + rasp.Name;
                createJob = () =>
                {
                    var loaded = compiled.ToLoadedModel(raspPath);
                    return PruningJob.Create(loaded, RaspTasks.Create(rasp, compiled), Device(loaded.Config), Configure(rasp.Recipe()));
                };
                err.WriteLine($"compiled the RASP program {rasp.Name}: {rasp.Source}");
            }
            else
            {
                if (parse.GetValue(program) is { } p)
                    throw new EdgePruningException($"--program {p} compiles its own model; leave out --model {modelPath}");
                string path = modelPath;
                createJob = () => LoadProgress.Run(err, json, progress =>
                    PruningJob.Create(path, parse.GetValue(task) ?? "tracr", Device, Configure, parse.GetValue(tokenizer), progress));
            }
            var job = createJob();
            using var deviceLease = runDevice;
            DeviceOptions.Announce(err, json, runDevice!);
            // A Tracr file with a ground truth beside it (shared, or written by rasp compile) is scored
            // against it exactly as the built-in programs are.
            if (truth is null && job.Loaded.Tracr is not null) truth = GroundTruthFile.Beside(modelPath);

            string dir = parse.GetValue(outDir) ?? Path.Combine("runs", job.Task.Name);
            var existing = RunFolder.Inspect(dir);
            bool fresh = !parse.GetValue(resume);
            if (!fresh)
            {
                if (!existing.HasCheckpoint)
                    throw new EdgePruningException($"{dir} holds no checkpoint to resume; leave out --resume to start a run there");
                string settingsNote;
                if (RunSettings.Read(dir) is { } saved)
                {
                    // Continue the run as it was started: options given now must agree with it.
                    var resumed = saved.ResumeWith(modelPath, parse.GetValue(task), overrides, dir);
                    if (resumed != overrides)
                    {
                        overrides = resumed;
                        job = createJob();
                    }
                    saved.CheckSame(job.Options, dir);
                    settingsNote = $"with the run's own settings ({RunSettings.FileName})";
                }
                else
                {
                    settingsNote = $"with the options given now (no {RunSettings.FileName}: an older run)";
                }
                int at = job.Resume(dir);
                if (at > job.Options.Steps)
                    throw new EdgePruningException($"the checkpoint in {dir} is at step {at}, past the run's {job.Options.Steps} steps");
                if (json) CommandOutput.WriteEvent(err, "resume", new JsonObject { ["out"] = dir, ["step"] = at, ["steps"] = job.Options.Steps, ["settings"] = settingsNote });
                else err.WriteLine($"resuming {dir} at step {at} of {job.Options.Steps} {settingsNote}");
            }
            else
            {
                // One rule for every run: a finished run (or the built-in demo's) is replaced; an unfinished
                // one is continued with --resume or given up with --force.
                bool demo = parse.GetValue(model) is null && parse.GetValue(outDir) is null;
                if (existing.Unfinished && !demo && !parse.GetValue(force))
                    throw new EdgePruningException($"{dir} holds an unfinished run (a checkpoint and no circuit.json); " +
                        "continue it with --resume, start afresh with --force, or choose another --out");
                RunFolder.Prepare(dir);
                // The noise the trainer chose is kept, so that a resume on another device draws the same stream.
                string drawn = PruningOverrides.NoiseName(job.Pruner.CounterNoise);
                RunSettings.Of(modelPath, job.Task.Name, overrides with { Noise = drawn }, job.Options with { CounterNoise = job.Pruner.CounterNoise }).Write(dir);
            }

            var plan = MemoryPlanner.Plan(MemoryPlanRequest.ForRun(job.Masked.Config, job.Masked.Graph.EmbeddingNodes, job.Task, job.Options,
                job.Masked.Model.DType, job.Masked.FusedReads, job.Masked.Settings.Recompute) with { KeptReferenceBytes = job.Pruner.ReferenceRunBytes });
            if (json)
            {
                var start = TrainingProgress.Describe(job, modelPath);
                start["memory_plan"] = plan.ToJson();
                start["device"] = DeviceOptions.ToJson(runDevice!);
                CommandOutput.WriteEvent(err, "start", start);
            }
            else
            {
                err.WriteLine($"{job.Task.Name} on {modelPath}: {job.Masked.EdgeCount:N0} edges, {job.Masked.Writers} writers, " +
                    $"{job.Task.Train.Count} training examples, {job.Options.Ablation.Name()} ablation, target sparsity {job.Options.TargetEdgeSparsity}");
                err.WriteLine(plan.Summary());
            }
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCancel;
            var clock = PruningJob.StartClock();
            if (fresh && job.Options.WarmStart is { } warm)
            {
                double seconds = job.StartFromScratch();
                string note = $"masks started from {warm} scores on {Math.Min(job.Task.Train.Count, PruningJob.WarmStartExamples)} training examples ({seconds:F1} s)";
                if (json) CommandOutput.WriteEvent(err, "warm_start", new JsonObject { ["method"] = warm, ["seconds"] = seconds });
                else err.WriteLine(note);
            }
            bool finished;
            try
            {
                finished = TrainingProgress.Run(job, dir, err, cancel.Token, json);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (!finished)
            {
                if (json)
                {
                    CommandOutput.WriteDocument(o, CommandOutput.Error("interrupted", $"interrupted at step {job.Pruner.StepsDone}; continue with --resume --out {dir}", CliApp.ExitError));
                    return CliApp.ExitError;
                }
                err.WriteLine($"interrupted at step {job.Pruner.StepsDone}; the checkpoint is in {dir}; continue with --resume --out {dir}");
                return CliApp.ExitError;
            }

            var peak = MeasuredPeak.Of(job.Pruner);
            var (circuit, _) = job.Finish(clock.Elapsed.TotalSeconds, parse.GetValue(binarize));
            string circuitPath = Path.Combine(dir, PruningJob.CircuitFile);
            CircuitJson.Write(circuit, circuitPath);
            foreach (var shortfall in circuit.Shortfalls)
            {
                if (json) CommandOutput.WriteEvent(err, "warning", new JsonObject { ["message"] = shortfall });
                else err.WriteLine($"edgeprune: warning: {shortfall}");
            }
            var result = CircuitReport.ToJson(circuit, circuitPath);
            result["memory"] = MemoryJson(plan, peak);
            result["shortfalls"] = new JsonArray([.. circuit.Shortfalls.Select(s => (JsonNode?)s)]);
            return CommandOutput.Emit(parse, result, text =>
            {
                CircuitReport.Print(text, circuit);
                text.WriteLine($"memory         planned {ByteCount.Format(plan.TotalBytes)} (arena {ByteCount.Format(plan.ArenaBytes)}); measured {peak.Summary()}");
                if (truth is not null) PrintAgainstTruth(text, circuit, truth);
                text.WriteLine($"circuit written to {circuitPath}");
                if (truth is not null) WritePicture(text, circuit, dir);
            });
        });
        return command;
    }

    /// <summary>The plan's totals beside what the run measured.</summary>
    private static JsonObject MemoryJson(MemoryPlan plan, MeasuredPeak peak) => new()
    {
        ["planned"] = new JsonObject
        {
            ["total_bytes"] = plan.TotalBytes,
            ["run_bytes"] = plan.RunBytes,
            ["micro_batch_bytes"] = plan.MicroBatchBytes,
            ["arena_bytes"] = plan.ArenaBytes,
        },
        ["measured"] = peak.ToJson(),
    };

    /// <summary>The recovered circuit beside the ground truth, edge by edge, with precision and recall.</summary>
    private static void PrintAgainstTruth(TextWriter o, Circuit circuit, IReadOnlyList<string> truth)
    {
        var found = circuit.KeptEdgeNames.ToList();
        var cmp = CircuitComparison.Compare(found, truth);
        o.WriteLine();
        o.WriteLine($"{"edge",-28} {"recovered",-10} {"ground truth",-12}");
        foreach (var edge in found.Union(truth).Order(StringComparer.Ordinal))
            o.WriteLine($"{edge,-28} {(found.Contains(edge) ? "yes" : "-"),-10} {(truth.Contains(edge) ? "yes" : "-"),-12}");
        o.WriteLine($"precision {cmp.Precision:P0}, recall {cmp.Recall:P0}: " +
            (cmp.Identical ? $"the ground-truth circuit ({truth.Count} edges) recovered exactly" : $"{cmp.Missing.Count} missing, {cmp.Extra.Count} extra"));
    }

    private static void WritePicture(TextWriter o, Circuit circuit, string dir)
    {
        // The page needs nothing installed; the DOT file is for Graphviz users.
        string html = Path.Combine(dir, "circuit.html");
        File.WriteAllText(html, View.CircuitPage.Build(circuit, null, PruningJob.CircuitFile, null).Html);
        string dot = Path.Combine(dir, "circuit.dot");
        CircuitDot.Write(circuit, dot, circuit.Task);
        if (CircuitDot.GraphvizInstalled)
        {
            string svg = Path.Combine(dir, "circuit.svg");
            CircuitDot.Render(File.ReadAllText(dot), GraphvizFormat.Svg, svg);
            o.WriteLine($"picture written to {html} and {svg} (and {dot})");
        }
        else
        {
            o.WriteLine($"picture written to {html} (open it in a browser) and {dot} (for Graphviz: dot -Tsvg {dot} -o circuit.svg)");
        }
    }
}
