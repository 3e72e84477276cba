using System.Diagnostics;
using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Rasp;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning;

/// <summary>
/// One pruning run from paths to a circuit: loads the model and the task, trains the masks with
/// checkpoints, reads out the circuit and evaluates it. The CLI and other frontends drive this.
/// </summary>
public sealed class PruningJob
{
    public const string CheckpointFile = "checkpoint.bin";
    public const string CircuitFile = "circuit.json";

    private PruningJob(LoadedModel loaded, EdgeMaskedModel masked, TaskDataset task, EdgePruner pruner, string modelId)
    {
        Loaded = loaded;
        Masked = masked;
        Task = task;
        Pruner = pruner;
        ModelId = modelId;
    }

    public LoadedModel Loaded { get; }
    public EdgeMaskedModel Masked { get; }
    public TaskDataset Task { get; }
    public EdgePruner Pruner { get; }
    public string ModelId { get; }
    public PruningOptions Options => Pruner.Options;

    /// <param name="configure">Adjusts the task's default options (the caller's overrides).</param>
    public static PruningJob Create(string modelPath, string taskName, IKernels kernels, Func<PruningOptions, PruningOptions> configure,
        string? tokenizerPath = null) =>
        Create(modelPath, taskName, (loaded, _, _) => (new Transformer(loaded.Config, loaded.Weights, kernels, modelPath), null), configure, tokenizerPath);

    /// <summary>
    /// A job whose model runs on the device that <paramref name="device"/> opens for the model's config (the caller
    /// owns the device). The weights go there in its dtype once the run's memory plan is known to fit; a Hugging Face
    /// checkpoint for one GPU streams there a layer at a time (<see cref="WeightSink"/>), never whole on the host.
    /// <paramref name="loadProgress"/> hears (layers done, layers) as they arrive.
    /// </summary>
    public static PruningJob Create(string modelPath, string taskName, Func<TransformerConfig, RunDevice> device,
        Func<PruningOptions, PruningOptions> configure, string? tokenizerPath = null, Action<int, int>? loadProgress = null)
    {
        var (kind, resolved) = ModelLoader.Detect(modelPath);
        var config = ModelConfigReader.ReadConfig(modelPath);
        var opened = device(config);
        bool stream = opened.IsCuda && opened.Backends.Count == 1 && kind is ModelFileKind.HfGpt2 or ModelFileKind.HfLlama && !IsTracrTask(taskName);
        if (!stream)
            return Create(modelPath, taskName, (loaded, task, options) => Place(opened, loaded, task, options), configure, tokenizerPath);

        var task = LanguageTask(config, resolved, taskName, tokenizerPath);
        var options = configure(DefaultOptions(task));
        RequireFit(opened, config, task, options);
        var backend = opened.Backend!;
        var streamed = ModelLoader.Load(modelPath, new WeightSink(t => backend.Upload(t, opened.DType), loadProgress));
        var model = Transformer.Placed(streamed.Config, streamed.Weights, backend, source: modelPath);
        return Build(streamed, task, model, options, modelPath, opened);
    }

    private static PruningJob Create(string modelPath, string taskName,
        Func<LoadedModel, TaskDataset, PruningOptions, (Transformer Model, RunDevice? Device)> place,
        Func<PruningOptions, PruningOptions> configure, string? tokenizerPath)
    {
        var loaded = ModelLoader.Load(modelPath);
        var task = ResolveTask(loaded, taskName, tokenizerPath);
        var options = configure(DefaultOptions(task, loaded));
        var (model, device) = place(loaded, task, options);
        return Build(loaded, task, model, options, modelPath, device);
    }

    /// <summary>The model on <paramref name="device"/>, after checking that the run's plan fits the memory it has free.</summary>
    private static (Transformer Model, RunDevice Device) Place(RunDevice device, LoadedModel loaded, TaskDataset task, PruningOptions options)
    {
        RequireFit(device, loaded.Config, task, options);
        return (device.Place(loaded.Config, loaded.Weights, loaded.Source), device);
    }

    /// <summary>Stops with one line naming what fits when the run's memory plan exceeds what <paramref name="device"/> has free (a GPU only).</summary>
    private static void RequireFit(RunDevice device, TransformerConfig config, TaskDataset task, PruningOptions options)
    {
        if (device.FreeBytes() is not { } free) return;
        int embeddingNodes = options.EmbeddingNodes ?? Models.Graph.EdgeGraph.DefaultEmbeddingNodes(config);
        var request = Planning.MemoryPlanRequest.ForRun(config, embeddingNodes, task, options, device.DType,
            options.Pass.ReadsFused(config, onDevice: true), options.Pass.Recompute);
        Planning.DeviceFit.Require(request, free, device.Name);
    }

    /// <summary>A job on a model and task already in memory (a compiled RASP program and its task).</summary>
    public static PruningJob Create(LoadedModel loaded, TaskDataset task, IKernels kernels, PruningOptions options) =>
        Build(loaded, task, new Transformer(loaded.Config, loaded.Weights, kernels, loaded.Source), options, loaded.Source, null);

    /// <summary>A job on a model and task already in memory, its model on <paramref name="device"/>.</summary>
    public static PruningJob Create(LoadedModel loaded, TaskDataset task, RunDevice device, PruningOptions options)
    {
        var (model, placed) = Place(device, loaded, task, options);
        return Build(loaded, task, model, options, loaded.Source, placed);
    }

    /// <summary>The job over <paramref name="model"/>; on several GPUs (<paramref name="device"/>), with a copy on each of the others.</summary>
    private static PruningJob Build(LoadedModel loaded, TaskDataset task, Transformer model, PruningOptions options, string modelId, RunDevice? device)
    {
        int embeddingNodes = options.EmbeddingNodes ?? Models.Graph.EdgeGraph.DefaultEmbeddingNodes(loaded.Config);
        var masked = new EdgeMaskedModel(model, embeddingNodes) { Settings = options.Pass };
        DataParallel? parallel = null;
        if (device is { Backends.Count: > 1 })
        {
            var models = new List<EdgeMaskedModel> { masked };
            for (int i = 1; i < device.Backends.Count; i++)
                models.Add(new EdgeMaskedModel(device.PlaceOn(i, loaded.Config, loaded.Weights, loaded.Source), embeddingNodes) { Settings = options.Pass });
            parallel = DataParallel.Over(models);
            device.Own(parallel);
        }
        return new PruningJob(loaded, masked, task, new EdgePruner(masked, task, options, parallel), modelId) { DeviceName = device?.Name ?? "cpu" };
    }

    /// <summary>Where the model runs: "cpu" or "cuda:N".</summary>
    public string DeviceName { get; private init; } = "cpu";

    /// <summary>The paper's recipe for the task (Tracr programs have their own), before user overrides.</summary>
    public static PruningOptions DefaultOptions(TaskDataset task, LoadedModel loaded) => DefaultOptions(task);

    private static PruningOptions DefaultOptions(TaskDataset task) => task.Name switch
    {
        "tracr-reverse" => PruningOptions.TracrReverse(),
        "tracr-xproportion" => PruningOptions.TracrXProportion(),
        _ when task.Name.StartsWith(RaspTaskPrefix, StringComparison.Ordinal) => Programs.Get(task.Name[RaspTaskPrefix.Length..]).Recipe(),
        _ when task.Recipe is { } recipe => recipe,
        _ => new PruningOptions { Ablation = AblationNames.Parse(task.DefaultAblation) },
    };

    /// <summary>Task names of compiled RASP programs: <c>rasp-NAME</c>.</summary>
    public const string RaspTaskPrefix = "rasp-";

    /// <summary>True for the task names that a Tracr model's own task answers to.</summary>
    public static bool IsTracrTask(string taskName) =>
        taskName is "tracr" or "tracr-reverse" or "tracr-xproportion" || taskName.StartsWith(RaspTaskPrefix, StringComparison.Ordinal);

    public static TaskDataset ResolveTask(LoadedModel loaded, string taskName, string? tokenizerPath)
    {
        if (IsTracrTask(taskName))
        {
            var info = loaded.Tracr ?? throw new EdgePruningException(
                $"task '{taskName}' needs a Tracr model; {loaded.Source} is a {loaded.FormatName}: choose --task from {string.Join(", ", TaskRegistry.Names())} or a .jsonl file");
            var task = info.Program is { } program ? CompiledProgramTask(loaded, program) : TracrTasks.Create(info);
            if (taskName != "tracr" && taskName != task.Name)
                throw new EdgePruningException($"task '{taskName}' does not match the Tracr program '{info.Program ?? info.Name}' of {loaded.Source} (its task is {task.Name}, or say tracr)");
            return task;
        }
        return LanguageTask(loaded.Config, loaded.Source, taskName, tokenizerPath);
    }

    /// <summary>A language-model task with the tokenizer given or found beside the model at <paramref name="source"/>.</summary>
    private static TaskDataset LanguageTask(TransformerConfig config, string source, string taskName, string? tokenizerPath)
    {
        var tokenizer = tokenizerPath is not null ? TokenizerLoader.Load(tokenizerPath) : TokenizerLoader.ForModel(source);
        TokenizerLoader.EnsureMatches(tokenizer, config.VocabSize, source);
        return TaskRegistry.Create(taskName, tokenizer, seed: 0);
    }

    /// <summary>
    /// The task of a file that <c>edgeprune rasp compile</c> wrote: the program is compiled again here (it is
    /// deterministic) for its inputs and reference outputs, after checking that the file has its vocabulary.
    /// </summary>
    private static TaskDataset CompiledProgramTask(LoadedModel loaded, string program)
    {
        var rasp = Programs.Get(program);
        var compiled = rasp.Compile();
        var info = loaded.Tracr!;
        if (!compiled.Info.Vocab.OrderBy(p => p.Key, StringComparer.Ordinal).SequenceEqual(info.Vocab.OrderBy(p => p.Key, StringComparer.Ordinal))
            || compiled.Config.Layers != loaded.Config.Layers || compiled.Config.ModelDim != loaded.Config.ModelDim)
            throw new EdgePruningException($"{loaded.Source} says it holds the RASP program '{program}', but its vocabulary or shape differs from that program compiled now");
        return RaspTasks.Create(rasp, compiled);
    }

    /// <summary>
    /// Trains from the current state (step 0, or where <see cref="Resume"/> left it) to the last step,
    /// saving a checkpoint every <see cref="PruningOptions.CheckpointEvery"/> steps and when cancelled.
    /// Returns false when cancelled (the checkpoint holds the progress).
    /// </summary>
    public bool Train(string outDir, Action<StepReport>? progress, CancellationToken cancel)
    {
        Directory.CreateDirectory(outDir);
        string checkpoint = Path.Combine(outDir, CheckpointFile);
        while (Pruner.StepsDone < Options.Steps)
        {
            if (cancel.IsCancellationRequested)
            {
                Pruner.State.Save(checkpoint);
                return false;
            }
            StepReport report;
            try
            {
                report = Pruner.Step();
            }
            catch (TrainingDivergedException ex)
            {
                string kept = File.Exists(checkpoint) ? $"the last good checkpoint is {checkpoint}" : "no checkpoint was written yet";
                throw new TrainingDivergedException($"{ex.Message.TrimEnd('.')}; {kept}");
            }
            progress?.Invoke(report);
            if (Options.CheckpointEvery > 0 && Pruner.StepsDone % Options.CheckpointEvery == 0) Pruner.State.Save(checkpoint);
        }
        Pruner.State.Save(checkpoint);
        return true;
    }

    /// <summary>Continues from the checkpoint in <paramref name="outDir"/>; returns the step it resumes at.</summary>
    public int Resume(string outDir)
    {
        Pruner.State.Load(Path.Combine(outDir, CheckpointFile));
        return Pruner.State.Step;
    }

    /// <summary>
    /// The circuit of the current masks, evaluated on the task's test split (no metrics without one), with
    /// the ways the run fell short of what was asked (<see cref="RunShortfalls"/>).
    /// </summary>
    public (Circuit Circuit, CircuitMasks Masks) Finish(double wallSeconds, double? binarizeAt = null)
    {
        var masks = CircuitMasks.From(Masked.Layout, Pruner.State, Options.NodeMasks, binarizeAt);
        var metrics = Task.Test.Count > 0
            ? CircuitEvaluator.Evaluate(Pruner, masks, Task.Test, Options.Batch)
            : new Dictionary<string, double>();
        var layout = Masked.Layout;
        var circuit = Circuit.FromMasks(Masked.Graph,
            (r, w) => masks.EdgeSoft[layout.Offset(r) + w],
            (r, w) => masks.EdgeKept[layout.Offset(r) + w],
            Options.NodeMasks ? masks.NodeKept : null, ModelId) with
        {
            Task = Task.Name,
            Ablation = Options.Ablation.Name(),
            Seed = Options.Seed,
            Hyperparameters = Hyperparameters(Options),
            Metrics = metrics,
            WallTimeSeconds = wallSeconds,
            Device = DeviceName,
        };
        return (circuit with { Shortfalls = RunShortfalls.Of(circuit, Options, Task, Pruner.State.Step) }, masks);
    }

    private static Dictionary<string, System.Text.Json.Nodes.JsonNode?> Hyperparameters(PruningOptions o) => new()
    {
        ["target_edge_sparsity"] = o.TargetEdgeSparsity,
        ["target_node_sparsity"] = o.TargetNodeSparsity,
        ["node_masks"] = o.NodeMasks,
        ["steps"] = o.Steps,
        ["sparsity_warmup_steps"] = o.SparsityWarmupSteps,
        ["lr_warmup_steps"] = o.LrWarmupSteps,
        ["batch"] = o.Batch,
        ["edge_lr"] = o.EdgeLr,
        ["edge_lambda_lr"] = o.EdgeLambdaLr,
        ["node_lr"] = o.NodeLr,
        ["node_lambda_lr"] = o.NodeLambdaLr,
        ["weight_decay"] = o.WeightDecay,
        ["grad_clip"] = o.GradClip,
        ["init_mean"] = o.InitMean,
        ["init_std"] = o.InitStd,
        ["warm_start"] = o.WarmStart,
    };

    /// <summary>Training examples the warm start's attribution run reads (the first of the split).</summary>
    public const int WarmStartExamples = 256;

    /// <summary>
    /// Prepares a run that starts at step 0: with <see cref="PruningOptions.WarmStart"/>, scores the edges with that
    /// attribution method on the first <see cref="WarmStartExamples"/> training examples and sets log α from their
    /// ranks at the target sparsity (<see cref="Baselines.WarmStart"/>); otherwise the masks keep their initialization.
    /// Returns the seconds the attribution took (0 without a warm start). A resumed run takes its masks from its checkpoint instead.
    /// </summary>
    public double StartFromScratch()
    {
        if (Options.WarmStart is not { } method) return 0;
        if (Pruner.State.Step != 0) throw new InvalidOperationException($"a warm start begins at step 0, not {Pruner.State.Step}");
        var clock = Stopwatch.StartNew();
        var examples = Task.Train.Take(WarmStartExamples).ToArray();
        if (examples.Length == 0) throw new EdgePruningException($"task {Task.Name} has no training examples to score edges for the warm start");
        using var batches = new TaskBatches(Pruner, examples, Options.Batch);
        Baselines.WarmStart.Apply(Pruner.State, Baselines.WarmStartMethod.Scores(method, batches), Options.TargetEdgeSparsity);
        return clock.Elapsed.TotalSeconds;
    }

    public static Stopwatch StartClock() => Stopwatch.StartNew();
}
