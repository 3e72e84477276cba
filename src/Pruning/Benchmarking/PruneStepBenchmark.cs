using System.Diagnostics;
using EdgePruning.Kernels;
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
/// memory the steps took and the kernel launches of one step. One model serves several step shapes.
/// </summary>
public sealed class PruneStepBenchmark
{
    private readonly RecordingKernels _kernels;
    private readonly CudaKernelBackend? _device;

    /// <summary>The host trainer over <paramref name="kernels"/>, on host random weights.</summary>
    public PruneStepBenchmark(TransformerConfig config, int embeddingNodes, IKernels kernels, int seed = 1)
    {
        _kernels = new RecordingKernels(kernels) { IsRecording = false };
        var weights = RandomModelWriter.CreateWeights(config, seed);
        Model = new EdgeMaskedModel(new Transformer(config, weights, _kernels, "random weights"), embeddingNodes);
    }

    /// <summary>
    /// The trainer with every tensor of the step on <paramref name="backend"/>, on random weights in
    /// <paramref name="dtype"/> made there (<see cref="RandomWeights.On"/>): nothing of model size passes through the host.
    /// </summary>
    public PruneStepBenchmark(TransformerConfig config, int embeddingNodes, IKernelBackend backend, DType dtype, int seed = 1)
    {
        _kernels = new RecordingKernels(backend.Kernels) { IsRecording = false };
        _device = backend as CudaKernelBackend;
        var weights = RandomWeights.On(backend, config, dtype, seed);
        Model = new EdgeMaskedModel(Transformer.Placed(config, weights, backend, _kernels, "random weights"), embeddingNodes);
    }

    public EdgeMaskedModel Model { get; }

    /// <summary>The memory plan of the steps <see cref="Measure"/> runs with <paramref name="settings"/> (the CPU trainer's).</summary>
    public MemoryPlan Plan(PruneStepSettings settings) => MemoryPlanner.Plan(PlanRequest(Model.Config, Model.Graph.EmbeddingNodes, settings));

    /// <summary>The CPU trainer's plan request for steps of <paramref name="settings"/> (f32, every layer kept), without building a model.</summary>
    public static MemoryPlanRequest PlanRequest(TransformerConfig config, int embeddingNodes, PruneStepSettings settings) => new()
    {
        Config = config,
        EmbeddingNodes = embeddingNodes,
        Batch = settings.Batch,
        SeqLen = settings.SeqLen,
        MicroBatch = settings.MicroBatch,
        NodeMasks = settings.NodeMasks,
        Ablation = Ablation.Interchange,
        Schedule = ActivationSchedule.KeepAllLayers,
    };

    /// <summary>
    /// Runs the warm-up steps, then the timed ones, on a fresh trainer. The first step run (a warm-up
    /// step when there is one) is also recorded for its launch count. <paramref name="progress"/> hears
    /// each timed step's index and milliseconds.
    /// </summary>
    public PruneStepMeasurement Measure(PruneStepSettings settings, Action<int, double>? progress = null)
    {
        settings.Validate();
        var task = RandomTokenTask.Create(Model.Config.VocabSize, settings.Batch, settings.SeqLen, settings.Seed);
        var pruner = new EdgePruner(Model, task, new PruningOptions
        {
            Batch = settings.Batch,
            MicroBatch = settings.MicroBatch,
            Steps = settings.Warmup + settings.Steps,
            NodeMasks = settings.NodeMasks,
            Ablation = Ablation.Interchange,
        });

        LaunchSummary launches;
        _device?.Context.Pool.ResetPeak();
        _kernels.Restart();
        _kernels.IsRecording = true;
        var clock = Stopwatch.StartNew();
        try
        {
            pruner.Step();
        }
        finally
        {
            _kernels.IsRecording = false;
            launches = _kernels.Restart().Summarize();
        }
        var times = new List<double>(settings.Steps);
        if (settings.Warmup == 0) Record(0, clock.Elapsed.TotalMilliseconds);
        for (int i = 1; i < settings.Warmup; i++) pruner.Step();
        while (times.Count < settings.Steps)
        {
            clock.Restart();
            pruner.Step();
            Record(times.Count, clock.Elapsed.TotalMilliseconds);
        }
        Model.Backend.Synchronize();
        return new PruneStepMeasurement
        {
            StepMilliseconds = times,
            TokensPerStep = (long)settings.Batch * settings.SeqLen,
            Peak = MeasuredPeak.Of(pruner) with { DevicePeakBytes = _device?.Context.Pool.PeakLiveBytes },
            LaunchesPerStep = launches,
        };

        void Record(int index, double ms)
        {
            times.Add(ms);
            progress?.Invoke(index, ms);
        }
    }
}
