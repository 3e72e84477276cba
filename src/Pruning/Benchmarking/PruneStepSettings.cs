using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>The shape of the steps a <see cref="PruneStepBenchmark"/> times.</summary>
public sealed record PruneStepSettings
{
    /// <summary>Sequences per step.</summary>
    public int Batch { get; init; } = 4;
    /// <summary>Tokens per sequence.</summary>
    public int SeqLen { get; init; } = 64;
    /// <summary>Sequences per forward/backward (null: the whole batch).</summary>
    public int? MicroBatch { get; init; }
    /// <summary>Timed steps.</summary>
    public int Steps { get; init; } = 3;
    /// <summary>Untimed steps before them (the first pays for allocations and JIT).</summary>
    public int Warmup { get; init; } = 1;
    public bool NodeMasks { get; init; } = true;
    /// <summary>How the masked passes read and whether they recompute layers.</summary>
    public Masking.MaskedPassSettings Pass { get; init; } = Masking.MaskedPassSettings.Default;
    /// <summary>Run the steps through one captured graph (<see cref="Training.StepGraph"/>); needs a device backend.</summary>
    public bool CaptureSteps { get; init; }
    /// <summary>Seed of the random tokens.</summary>
    public int Seed { get; init; } = 2;

    public void Validate()
    {
        if (Batch <= 0 || SeqLen <= 0) throw new EdgePruningException($"batch and sequence length must be positive, got {Batch} and {SeqLen}");
        if (MicroBatch is <= 0) throw new EdgePruningException($"micro-batch must be positive, got {MicroBatch}");
        if (Steps <= 0) throw new EdgePruningException($"steps must be positive, got {Steps}");
        if (Warmup < 0) throw new EdgePruningException($"warm-up steps must be ≥ 0, got {Warmup}");
    }
}
