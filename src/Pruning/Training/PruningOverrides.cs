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
            Pass = new Masking.MaskedPassSettings(MaskedRead is { } r ? ParseRead(r) : d.Pass.Read, Recompute ?? d.Pass.Recompute),
        };
    }

    public static Masking.MaskedReadPath ParseRead(string value) => value.ToLowerInvariant() switch
    {
        "auto" => Masking.MaskedReadPath.Auto,
        "fused" => Masking.MaskedReadPath.Fused,
        "unfused" => Masking.MaskedReadPath.Unfused,
        _ => throw new Runtime.EdgePruningException($"unknown masked read '{value}' (expected auto, fused or unfused)"),
    };
}
