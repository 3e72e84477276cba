namespace EdgePruning.Pruning.Training;

/// <summary>
/// What a user set on top of a task's recipe (null: keep the recipe's value). The one place that says how
/// user options map onto <see cref="PruningOptions"/>, for every front end (CLI, C ABI): <c>lr</c> drives
/// edge and node masks alike, <c>lambda_lr</c> both multipliers, and warm-ups never exceed the steps. A warm
/// start begins at the target sparsity, so its target does not ramp up unless a sparsity warm-up is given.
/// </summary>
public sealed record PruningOverrides
{
    public double? TargetEdgeSparsity { get; init; }
    public double? TargetNodeSparsity { get; init; }
    public bool? NodeMasks { get; init; }
    public int? Steps { get; init; }
    public int? Batch { get; init; }
    public int? MicroBatch { get; init; }
    public double? Lr { get; init; }
    public double? LambdaLr { get; init; }
    public int? SparsityWarmupSteps { get; init; }
    public int? LrWarmupSteps { get; init; }
    public string? Ablation { get; init; }
    public int? Seed { get; init; }
    public int? EmbeddingNodes { get; init; }
    public int? CheckpointEvery { get; init; }
    /// <summary>"auto", "fused" or "unfused".</summary>
    public string? MaskedRead { get; init; }
    public bool? Recompute { get; init; }
    /// <summary>"eap" or "eap-ig": start the masks from that method's scores (<see cref="PruningOptions.WarmStart"/>).</summary>
    public string? WarmStart { get; init; }
    /// <summary>Mean of the initial log α (<see cref="PruningOptions.InitMean"/>).</summary>
    public double? InitMean { get; init; }
    /// <summary>"auto", "host" or "device" (<see cref="PruningOptions.MaskMath"/>).</summary>
    public string? MaskMath { get; init; }
    /// <summary>"counter" or "system": the hard-concrete noise stream (<see cref="PruningOptions.CounterNoise"/>).</summary>
    public string? Noise { get; init; }

    public PruningOptions Apply(PruningOptions d)
    {
        int steps = Steps ?? d.Steps;
        return d with
        {
            TargetEdgeSparsity = TargetEdgeSparsity ?? d.TargetEdgeSparsity,
            TargetNodeSparsity = TargetNodeSparsity ?? d.TargetNodeSparsity,
            NodeMasks = NodeMasks ?? d.NodeMasks,
            Steps = steps,
            Batch = Batch ?? d.Batch,
            MicroBatch = MicroBatch ?? d.MicroBatch,
            EdgeLr = Lr ?? d.EdgeLr,
            NodeLr = Lr ?? d.NodeLr,
            EdgeLambdaLr = LambdaLr ?? d.EdgeLambdaLr,
            NodeLambdaLr = LambdaLr ?? d.NodeLambdaLr,
            SparsityWarmupSteps = Math.Min(SparsityWarmupSteps ?? (WarmStart is null ? d.SparsityWarmupSteps : 0), steps),
            LrWarmupSteps = Math.Min(LrWarmupSteps ?? d.LrWarmupSteps, steps),
            Ablation = Ablation is { } a ? AblationNames.Parse(a) : d.Ablation,
            Seed = Seed ?? d.Seed,
            EmbeddingNodes = EmbeddingNodes ?? d.EmbeddingNodes,
            CheckpointEvery = CheckpointEvery ?? d.CheckpointEvery,
            WarmStart = WarmStart is { } w ? Baselines.WarmStartMethod.Parse(w) : d.WarmStart,
            InitMean = InitMean ?? d.InitMean,
            MaskMath = MaskMath is { } m ? ParseMaskMath(m) : d.MaskMath,
            CounterNoise = Noise is { } n ? ParseNoise(n) : d.CounterNoise,
            Pass = new Masking.MaskedPassSettings(MaskedRead is { } r ? ParseRead(r) : d.Pass.Read, Recompute ?? d.Pass.Recompute),
        };
    }

    public static MaskMathPlace ParseMaskMath(string value) => value.ToLowerInvariant() switch
    {
        "auto" => MaskMathPlace.Auto,
        "host" => MaskMathPlace.Host,
        "device" => MaskMathPlace.Device,
        _ => throw new Runtime.EdgePruningException($"unknown mask math place '{value}' (expected auto, host or device)"),
    };

    /// <summary>True for the counter-based noise, false for System.Random's stream.</summary>
    public static bool ParseNoise(string value) => value.ToLowerInvariant() switch
    {
        "counter" => true,
        "system" => false,
        _ => throw new Runtime.EdgePruningException($"unknown mask noise '{value}' (expected counter or system)"),
    };

    public static string NoiseName(bool counter) => counter ? "counter" : "system";

    public static Masking.MaskedReadPath ParseRead(string value) => value.ToLowerInvariant() switch
    {
        "auto" => Masking.MaskedReadPath.Auto,
        "fused" => Masking.MaskedReadPath.Fused,
        "unfused" => Masking.MaskedReadPath.Unfused,
        _ => throw new Runtime.EdgePruningException($"unknown masked read '{value}' (expected auto, fused or unfused)"),
    };
}
