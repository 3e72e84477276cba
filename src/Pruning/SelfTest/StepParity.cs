using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Parity;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// A whole Edge Pruning step on a candidate backend against the host trainer: the same model, seed, batch
/// and mask sample; the trainer on a model built with <see cref="Transformer.OnBackend"/> (every tensor of
/// the step on the backend, masks in and mask gradients out) against the trainer on the host CPU kernels
/// with the weights rounded as the backend stored them. The step's edge-mask gradients are compared under
/// <see cref="ParityTolerances.ForStep"/>, each against the size of the terms the host summed into it.
/// The step uses node masks, interchange ablation and two micro-batches, so accumulation is part of it.
/// <see cref="Run"/> checks each way of computing the candidate's pass (<see cref="Variants"/>): the unfused read,
/// the fused read, and the fused read with per-layer recomputation; the host trainer always reads unfused.
/// </summary>
public static class StepParity
{
    private const int Sequences = 4;
    private const int MicroBatch = 2;

    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, IEnumerable<SelfTestModel> models, Action<ParityCheck>? progress = null) =>
        ModelParity.EachModelAndDType(candidate, models.SelectMany(m => Variants(m.Config).Select(v => (m, v))).ToArray(),
            (backend, item, dtype, onDevice) => Check(backend, item.m, dtype, onDevice, item.v), progress);

    /// <summary>The pass settings a step is checked under: the unfused read, and where the model has norms the fused read without and with recomputation.</summary>
    public static IReadOnlyList<MaskedPassSettings> Variants(TransformerConfig config) => FusedReadNorms.Supports(config)
        ? [new(MaskedReadPath.Unfused), new(MaskedReadPath.Fused), new(MaskedReadPath.Fused, Recompute: true)]
        : [new(MaskedReadPath.Unfused), new(MaskedReadPath.Unfused, Recompute: true)];

    public static ParityCheck Check(IKernelBackend candidate, SelfTestModel model, DType dtype, bool onDevice, MaskedPassSettings? settings = null)
    {
        settings ??= MaskedPassSettings.Default;
        string name = $"pruning step {model.Name}, {Describe(settings)}";
        int T = model.TokensPerSequence;
        string shape = $"{Sequences}×{T} tokens, micro-batch {MicroBatch}";
        var c = model.Config;
        int embeddingNodes = c.LearnedPositions ? 2 : 1;
        Tensor expected, terms;
        try
        {
            var host = HostOracle(model, dtype);
            expected = Gradient(host, model);
            terms = host.EdgeGradientTermSizes!;
        }
        catch (Exception e)
        {
            return ParityCheck.Crashed(name, dtype, shape, e);
        }
        try
        {
            var placed = Transformer.OnBackend(c, model.Weights, candidate, dtype, model.Name);
            var actual = Gradient(new EdgeMaskedModel(placed, embeddingNodes) { Settings = settings }, model);
            var tolerance = ParityTolerances.ForStep(dtype, KernelParitySuite.Tf32Products(candidate), terms.Span);
            return ParityComparison.Compare(name, dtype, shape, expected, actual, tolerance, terms.Span);
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

    /// <summary>
    /// The host trainer's model: f32 activations over the weights rounded as the candidate stores them in
    /// <paramref name="dtype"/>, summing each edge gradient's term sizes (<see cref="EdgeMaskedModel.EdgeGradientTermSizes"/>).
    /// </summary>
    internal static EdgeMaskedModel HostOracle(SelfTestModel model, DType dtype)
    {
        var c = model.Config;
        var host = new Transformer(c, WeightPlacement.Rounded(model.Weights, dtype), CpuKernels.Instance, model.Name);
        var masked = new EdgeMaskedModel(host, c.LearnedPositions ? 2 : 1);
        masked.EdgeGradientTermSizes = Tensor.Zeros(checked((int)masked.EdgeCount));
        return masked;
    }

    /// <summary>"fused read, recomputed layers" and the like.</summary>
    public static string Describe(MaskedPassSettings settings) =>
        (settings.Read switch { MaskedReadPath.Fused => "fused read", MaskedReadPath.Unfused => "unfused read", _ => "auto read" })
        + (settings.Recompute ? ", recomputed layers" : "");

    /// <summary>The edge-mask gradient of the first step on a random task of the model's own tokens' length.</summary>
    internal static Tensor Gradient(EdgeMaskedModel masked, SelfTestModel model)
    {
        var task = RandomTokenTask.Create(model.Config.VocabSize, Sequences, model.TokensPerSequence, seed: 5);
        // log α around 0.5 keeps the hard-concrete samples inside (0, 1), where gradients pass.
        var pruner = new EdgePruner(masked, task, new PruningOptions
        {
            Batch = Sequences,
            MicroBatch = MicroBatch,
            Steps = 1,
            NodeMasks = true,
            InitMean = 0.5,
            Ablation = Ablation.Interchange,
            Seed = 3,
        });
        pruner.Step();
        return pruner.LastEdgeGradient!;
    }
}
