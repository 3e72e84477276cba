using System.Diagnostics;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Kernels.Recording;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>
/// Times whole Edge Pruning steps (corrupted run, full-model run, masked forward, backward, optimizer
/// step) on a model of a given shape with seeded random weights and random tokens, and reports the
/// memory the steps took, the kernel launches of a step (every kernel set) and whether consecutive steps
/// issue the same launches (what capturing a step as one CUDA graph needs), and the bandwidth the masked
/// reads reached in a step of their own. One model serves several step shapes and read paths.
/// </summary>
public sealed class PruneStepBenchmark
{
    private readonly RecordingBackend _recording;
    private readonly CudaKernelBackend? _device;

    /// <summary>The host trainer over <paramref name="kernels"/>, on host random weights.</summary>
    public PruneStepBenchmark(TransformerConfig config, int embeddingNodes, IKernels kernels, int seed = 1)
    {
        _recording = new RecordingBackend(new CpuKernelBackend(kernels)) { IsRecording = false };
        var weights = RandomModelWriter.CreateWeights(config, seed);
        Model = new EdgeMaskedModel(new Transformer(config, weights, _recording.Kernels, "random weights"), embeddingNodes, _recording);
    }

    /// <summary>
    /// The trainer with every tensor of the step on <paramref name="backend"/>, on random weights in
    /// <paramref name="dtype"/> made there (<see cref="RandomWeights.On"/>): nothing of model size passes through the host.
    /// </summary>
    public PruneStepBenchmark(TransformerConfig config, int embeddingNodes, IKernelBackend backend, DType dtype, int seed = 1)
    {
        _recording = new RecordingBackend(backend) { IsRecording = false };
        _device = backend as CudaKernelBackend;
        var weights = RandomWeights.On(backend, config, dtype, seed);
        Model = new EdgeMaskedModel(Transformer.Placed(config, weights, _recording, source: "random weights"), embeddingNodes);
    }

    public EdgeMaskedModel Model { get; }

    /// <summary>The memory plan of the steps <see cref="Measure"/> runs with <paramref name="settings"/>, in the model's dtype.</summary>
    public MemoryPlan Plan(PruneStepSettings settings) => MemoryPlanner.Plan(PlanRequest(Model.Config, Model.Graph.EmbeddingNodes, settings,
        FusedReads(settings)) with { WeightDType = Model.Model.DType, ActivationDType = Model.Model.DType });

    /// <summary>Whether steps of <paramref name="settings"/> read through the fused masked read on this benchmark's model.</summary>
    public bool FusedReads(PruneStepSettings settings) => settings.Pass.ReadsFused(Model.Config, Model.OnDevice);

    /// <summary>
    /// The plan request for steps of <paramref name="settings"/> in f32 (set the dtypes for another), without
    /// building a model; <paramref name="fusedReads"/> says which read path those steps take.
    /// </summary>
    public static MemoryPlanRequest PlanRequest(TransformerConfig config, int embeddingNodes, PruneStepSettings settings, bool fusedReads) => new()
    {
        Config = config,
        EmbeddingNodes = embeddingNodes,
        Batch = settings.Batch,
        SeqLen = settings.SeqLen,
        MicroBatch = settings.MicroBatch,
        NodeMasks = settings.NodeMasks,
        Ablation = Ablation.Interchange,
        Schedule = settings.Pass.Recompute ? ActivationSchedule.RecomputePerLayer : ActivationSchedule.KeepAllLayers,
        FusedReads = fusedReads,
    };

    /// <summary>
    /// Runs the warm-up steps (at least one), then the timed ones, then one step whose masked reads are timed
    /// one by one, on a fresh trainer whose model computes its passes as <see cref="PruneStepSettings.Pass"/> says.
    /// The first warm-up step is recorded for its launches and, when there is a second, that one too, to compare.
    /// <paramref name="progress"/> hears each timed step's index and milliseconds.
    /// </summary>
    public PruneStepMeasurement Measure(PruneStepSettings settings, Action<int, double>? progress = null)
    {
        // Captured steps: the first runs directly and the second is captured, so the timed ones are fed and launched.
        int warmup = Math.Max(settings.CaptureSteps ? 2 : 1, settings.Warmup);
        var pruner = Pruner(settings, warmup + settings.Steps + 1);
        bool fused = Model.FusedReads;

        _device?.Context.Pool.ResetPeak();
        var first = Recorded(pruner);
        string? repeat = null;
        if (warmup >= 2)
            repeat = first.SameLaunchesAs(Recorded(pruner), out var difference) ? "" : difference;
        for (int i = 2; i < warmup; i++) pruner.Step();

        var times = new List<double>(settings.Steps);
        var clock = new Stopwatch();
        while (times.Count < settings.Steps)
        {
            clock.Restart();
            pruner.Step();
            Model.Backend.Synchronize();
            double ms = clock.Elapsed.TotalMilliseconds;
            times.Add(ms);
            progress?.Invoke(times.Count - 1, ms);
        }
        // A captured step's memory is its graph's own pool, beside the backend's.
        var peak = MeasuredPeak.Of(pruner) with { DevicePeakBytes = _device?.Context.Pool.PeakLiveBytes + (pruner.Graph?.DeviceBytes ?? 0) };

        var timer = new ReadTimer(Model.Backend);
        Model.ReadTimer = timer;
        try { pruner.Step(); }
        finally { Model.ReadTimer = null; }
        return new PruneStepMeasurement
        {
            StepMilliseconds = times,
            TokensPerStep = (long)settings.Batch * settings.SeqLen,
            Peak = peak,
            LaunchesPerStep = first.Summarize(),
            LaunchesRepeat = repeat is null ? null : repeat.Length == 0,
            LaunchDifference = string.IsNullOrEmpty(repeat) ? null : repeat,
            FusedReads = fused,
            Recompute = settings.Pass.Recompute,
            CaptureSteps = settings.CaptureSteps,
            Graph = pruner.Graph is { } graph ? StepGraphUse.Of(graph) : null,
            ReadsForward = timer.Forward,
            ReadsBackward = timer.Backward,
        };
    }

    /// <summary>The launches of one step of <paramref name="settings"/> (after one unrecorded step), nothing timed.</summary>
    public LaunchSummary CountLaunches(PruneStepSettings settings)
    {
        var pruner = Pruner(settings, 2);
        pruner.Step();
        return Recorded(pruner).Summarize();
    }

    /// <summary>A fresh trainer of <paramref name="steps"/> steps on random tokens of <paramref name="settings"/>' shape, the model set to its pass settings.</summary>
    private EdgePruner Pruner(PruneStepSettings settings, int steps)
    {
        settings.Validate();
        var task = RandomTokenTask.Create(Model.Config.VocabSize, settings.Batch, settings.SeqLen, settings.Seed);
        Model.Settings = settings.Pass;
        Model.ReadTimer = null;
        return new EdgePruner(Model, task, new PruningOptions
        {
            Batch = settings.Batch,
            MicroBatch = settings.MicroBatch,
            Steps = steps,
            NodeMasks = settings.NodeMasks,
            Ablation = Ablation.Interchange,
            CaptureSteps = settings.CaptureSteps,
            // Every step here trains on the same batch, so kept unmasked runs would leave a host step with the masked
            // pass alone: the bench times whole steps, as the reference implementation and a device run them.
            ReferenceCacheBytes = 0,
        });
    }

    /// <summary>One step with every launch recorded.</summary>
    private LaunchGraph Recorded(EdgePruner pruner)
    {
        _recording.Restart();
        _recording.IsRecording = true;
        try
        {
            pruner.Step();
        }
        finally
        {
            _recording.IsRecording = false;
        }
        return _recording.Restart();
    }
}
