using EdgePruning.Models;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Planning;

/// <summary>What a memory plan is made for: the model shape, the graph, the dtypes, the step's shape and schedule.</summary>
public sealed record MemoryPlanRequest
{
    public required TransformerConfig Config { get; init; }
    /// <summary>Embedding writers of the graph (0, 1 or 2).</summary>
    public required int EmbeddingNodes { get; init; }
    /// <summary>Storage type of the frozen weights.</summary>
    public DType WeightDType { get; init; } = DType.F32;
    /// <summary>Storage type of the activations, the difference stack and their gradients.</summary>
    public DType ActivationDType { get; init; } = DType.F32;
    /// <summary>Sequences per optimizer step.</summary>
    public required int Batch { get; init; }
    /// <summary>Tokens per sequence (the longest of a micro-batch: shorter ones are padded to it).</summary>
    public required int SeqLen { get; init; }
    /// <summary>Sequences per forward/backward (null: the whole batch).</summary>
    public int? MicroBatch { get; init; }
    public bool NodeMasks { get; init; } = true;
    public Ablation Ablation { get; init; } = Ablation.Interchange;
    public required ActivationSchedule Schedule { get; init; }
    /// <summary>Whether the reads go through the fused masked read (<see cref="Masking.MaskedReadPath.Fused"/>).</summary>
    public bool FusedReads { get; init; }
    /// <summary>
    /// Logit rows per sequence: the loss positions the readout runs at (the trainer computes logits only
    /// there); null: every position (the across-sequence loss).
    /// </summary>
    public int? ReadRowsPerSequence { get; init; }

    /// <summary>Bytes of the unmasked runs a host run keeps per training example (<see cref="Training.ReferenceRunCache"/>; 0: none).</summary>
    public long KeptReferenceBytes { get; init; }

    /// <summary>The micro-batch the trainer runs: the requested one clamped to [1, batch].</summary>
    public int EffectiveMicroBatch => Math.Clamp(MicroBatch ?? Batch, 1, Math.Max(1, Batch));

    /// <summary>Forward/backward passes per step.</summary>
    public int MicroBatches => (Batch + EffectiveMicroBatch - 1) / EffectiveMicroBatch;

    public void Validate()
    {
        if (Batch <= 0) throw new EdgePruningException($"batch must be positive, got {Batch}");
        if (SeqLen <= 0) throw new EdgePruningException($"sequence length must be positive, got {SeqLen}");
        if (MicroBatch is <= 0) throw new EdgePruningException($"micro-batch must be positive, got {MicroBatch}");
        if (SeqLen > Config.MaxSeqLen) throw new EdgePruningException($"sequence of {SeqLen} tokens exceeds the model's {Config.MaxSeqLen} positions");
        Models.Graph.EdgeGraph.CountEdges(Config, EmbeddingNodes); // throws for an impossible embedding-node count
    }

    /// <summary>
    /// The request that describes what <paramref name="pruner"/> runs on the CPU: f32 everywhere, its model's
    /// read path and schedule, its batch, micro-batch, graph and ablation, and its longest training example.
    /// </summary>
    public static MemoryPlanRequest ForCpuTrainer(EdgePruner pruner) =>
        ForRun(pruner.Model.Config, pruner.Model.Graph.EmbeddingNodes, pruner.Task, pruner.Options, DType.F32, pruner.Model.FusedReads,
            pruner.Model.Settings.Recompute) with { KeptReferenceBytes = pruner.ReferenceRunBytes };

    /// <summary>
    /// The request for a run of <paramref name="options"/> on <paramref name="task"/> with a model of
    /// <paramref name="config"/> in <paramref name="dtype"/> (weights and activations), before any model is built:
    /// its batch, micro-batch, graph and ablation, its longest training example, the read path and the schedule.
    /// </summary>
    public static MemoryPlanRequest ForRun(TransformerConfig config, int embeddingNodes, Tasks.TaskDataset task, PruningOptions options,
        DType dtype, bool fusedReads, bool recompute)
    {
        var train = task.Train;
        return new MemoryPlanRequest
        {
            Config = config,
            EmbeddingNodes = embeddingNodes,
            WeightDType = dtype,
            ActivationDType = dtype,
            Batch = Math.Min(options.Batch, train.Count),
            SeqLen = train.Max(e => e.Clean.Length),
            MicroBatch = options.MicroBatch,
            NodeMasks = options.NodeMasks,
            Ablation = options.Ablation,
            Schedule = recompute ? ActivationSchedule.RecomputePerLayer : ActivationSchedule.KeepAllLayers,
            FusedReads = fusedReads,
            ReadRowsPerSequence = task.Loss == Tasks.TaskLoss.KlAcrossSequence ? null : train.Max(e => e.LossPositions.Length),
        };
    }
}
