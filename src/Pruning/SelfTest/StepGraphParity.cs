using EdgePruning.Kernels;
using EdgePruning.Kernels.Parity;
using EdgePruning.Kernels.Recording;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// Pruning steps run through a captured graph (<see cref="StepGraph"/>: a CUDA graph on a GPU, the recorded
/// graph on the host) against the same steps run launch by launch on the same backend. Four steps on a task
/// of more sequences than a batch, so each step brings new tokens and masks: the first runs directly, the
/// second is captured, the last two are fed and launched. The fourth step's edge-mask gradients are compared
/// under <see cref="ParityTolerances.ForStep"/> (with the term sizes of the host trainer's fourth step), and the graph must have been captured once and launched
/// three times: a graph that missed an input, or work that could not be captured, fails the check.
/// </summary>
public static class StepGraphParity
{
    private const int Sequences = 4, MicroBatch = 2, Steps = 4;

    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, IEnumerable<SelfTestModel> models, Action<ParityCheck>? progress = null) =>
        ModelParity.EachModelAndDType(candidate, models.ToArray(), Check, progress);

    public static ParityCheck Check(IKernelBackend candidate, SelfTestModel model, DType dtype, bool onDevice)
    {
        var settings = StepParity.Variants(model.Config)[^1];
        string name = $"captured steps {model.Name}, {StepParity.Describe(settings)}";
        int T = model.TokensPerSequence;
        string shape = $"{Steps} steps of {Sequences}×{T} tokens, micro-batch {MicroBatch}";
        var backend = candidate as IWorkCapture as IKernelBackend ?? new RecordingBackend(candidate) { IsRecording = false };
        try
        {
            var c = model.Config;
            int embeddingNodes = c.LearnedPositions ? 2 : 1;
            var placed = Transformer.OnBackend(c, model.Weights, backend, dtype, model.Name);
            var masked = new EdgeMaskedModel(placed, embeddingNodes) { Settings = settings };
            var task = RandomTokenTask.Create(c.VocabSize, 3 * Sequences, T, seed: 5);
            var direct = Pruner(masked, task, capture: false);
            for (int i = 0; i < Steps; i++) direct.Step();
            var expected = direct.LastEdgeGradient!.Clone();
            var captured = Pruner(masked, task, capture: true);
            for (int i = 0; i < Steps; i++) captured.Step();
            var graph = captured.Graph!;
            if (graph.Unavailable is not null || graph.Captures != 1 || graph.GraphLaunches != Steps - 1)
                return ParityCheck.Crashed(name, dtype, shape, new EdgePruningException(
                    $"the graph was captured {graph.Captures} time(s) and launched {graph.GraphLaunches} (expected 1 and {Steps - 1})"
                    + (graph.Unavailable is { } why ? $": {why}" : graph.LastDifference is { } d ? $"; last difference: {d}" : "")));
            var terms = HostTermSizes(model, dtype, task);
            var tolerance = ParityTolerances.ForStep(dtype, KernelParitySuite.Tf32Products(candidate), terms.Span);
            return ParityComparison.Compare(name, dtype, shape, expected, captured.LastEdgeGradient!, tolerance, terms.Span);
        }
        catch (Exception e)
        {
            return ParityCheck.Crashed(name, dtype, shape, e);
        }
        finally
        {
            candidate.Reset();
        }
    }

    /// <summary>The term sizes of the last step's edge gradients, from the host trainer running the same steps.</summary>
    private static Tensor HostTermSizes(SelfTestModel model, DType dtype, Tasks.TaskDataset task)
    {
        var host = StepParity.HostOracle(model, dtype);
        var pruner = Pruner(host, task, capture: false);
        for (int i = 0; i < Steps; i++)
        {
            host.EdgeGradientTermSizes!.Span.Clear();
            pruner.Step();
        }
        return host.EdgeGradientTermSizes!;
    }

    private static EdgePruner Pruner(EdgeMaskedModel masked, Tasks.TaskDataset task, bool capture) => new(masked, task, new PruningOptions
    {
        Batch = Sequences,
        MicroBatch = MicroBatch,
        Steps = Steps,
        NodeMasks = true,
        InitMean = 0.5,
        Ablation = Ablation.Interchange,
        Seed = 3,
        CaptureSteps = capture,
    });
}
