using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>Hyperparameters of one Edge Pruning run (defaults: the paper's GPT-2 sweeps).</summary>
public sealed record PruningOptions
{
    public double TargetEdgeSparsity { get; init; } = 0.98;
    /// <summary>Target of the node Lagrangian; null disables the node loss (as the released sweeps do).</summary>
    public double? TargetNodeSparsity { get; init; }
    /// <summary>Train one mask per writer besides the edge masks (effective edge = edge · node).</summary>
    public bool NodeMasks { get; init; } = true;
    public int Steps { get; init; } = 3000;
    public int SparsityWarmupSteps { get; init; } = 2500;
    public int LrWarmupSteps { get; init; } = 200;
    public int Batch { get; init; } = 32;
    /// <summary>Sequences per forward/backward; the step accumulates gradients over micro-batches (null: the whole batch).</summary>
    public int? MicroBatch { get; init; }
    public double EdgeLr { get; init; } = 0.8;
    public double EdgeLambdaLr { get; init; } = 0.8;
    public double NodeLr { get; init; } = 0.8;
    public double NodeLambdaLr { get; init; } = 0.8;
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Learning rate of the learned baselines under optimal-constant ablation.</summary>
    public double ConstantLr { get; init; } = 0.01;
    public double GradClip { get; init; } = 1.0;
    public double InitMean { get; init; } = 10.0;
    public double InitStd { get; init; } = 0.01;
    public Ablation Ablation { get; init; } = Ablation.Interchange;
    /// <summary>Embedding nodes in the graph (null: the family's default).</summary>
    public int? EmbeddingNodes { get; init; }
    public int Seed { get; init; } = 0;
    /// <summary>How the masked passes read and whether they recompute layers (<see cref="PruningJob"/> sets it on the model).</summary>
    public Masking.MaskedPassSettings Pass { get; init; } = Masking.MaskedPassSettings.Default;
    /// <summary>
    /// Run each step's device work as one captured graph (a CUDA graph on a GPU) instead of launch by launch
    /// (<see cref="StepGraph"/>); needs a model on a device backend.
    /// </summary>
    public bool CaptureSteps { get; init; }
    /// <summary>Where the edge masks are sampled and optimized (<see cref="MaskMathPlace"/>).</summary>
    public MaskMathPlace MaskMath { get; init; } = MaskMathPlace.Auto;

    /// <summary>
    /// The edge count from which <see cref="MaskMathPlace.Auto"/> keeps the mask math on the device. Below it the host's
    /// share of a step is small: at GPT-2 small's 32,936 edges the host mask math takes 0.8 ms and the copies 0.26 MB; at
    /// CodeLlama-13B's 3.9 M edges it takes 425 ms on two cores (bench/results/cpu-mask-step.md) and the masks and their
    /// gradients are 31 MB over PCIe per step. From a million edges (about 110 ms and 8 MB) the host is the bottleneck of a
    /// GPU step.
    /// </summary>
    public const long DeviceMaskThreshold = 1_000_000;

    /// <summary>
    /// Draw the hard-concrete noise from the counter-based <see cref="Kernels.MaskNoise"/> (value i of a step depends on
    /// (seed, step, i) only; what the device draws) instead of System.Random's sequential stream per step (what host runs
    /// have always drawn, so their circuits at a seed stay as they were). Null: counter noise exactly when the mask math
    /// runs on the device, which cannot draw the sequential stream. A host run with this set draws the device's noise.
    /// </summary>
    public bool? CounterNoise { get; init; }

    /// <summary>
    /// Most bytes a host run may keep of its unmasked runs (the full model's logits at the loss positions and the
    /// corrupted writer outputs of every training example, <see cref="ReferenceRunCache"/>), so that later steps skip
    /// them; a training split that needs more is run afresh every step. Null: an eighth of the memory the runtime may
    /// use, at most 2 GiB; 0: never kept.
    /// </summary>
    public long? ReferenceCacheBytes { get; init; }

    /// <summary>Save a checkpoint every this many steps (0: only at the end and on cancel).</summary>
    public int CheckpointEvery { get; init; } = 100;
    /// <summary>
    /// Attribution method whose scores set the initial log α ("eap" or "eap-ig", <see cref="Baselines.WarmStart"/>),
    /// applied by <see cref="PruningJob.StartFromScratch"/>; null: log α ~ N(<see cref="InitMean"/>, <see cref="InitStd"/>).
    /// </summary>
    public string? WarmStart { get; init; }

    /// <summary>These options over <paramref name="steps"/> steps, the warm-ups keeping their share of the run.</summary>
    public PruningOptions WithSteps(int steps) => this with
    {
        Steps = steps,
        SparsityWarmupSteps = Share(SparsityWarmupSteps, steps),
        LrWarmupSteps = Share(LrWarmupSteps, steps),
    };

    private int Share(int part, int steps) => Steps <= 0 ? 0 : (int)Math.Min(steps, Math.Round((double)part * steps / Steps));

    public void Validate()
    {
        void Need(bool ok, string what)
        {
            if (!ok) throw new EdgePruningException(what);
        }
        Need(TargetEdgeSparsity is >= 0 and <= 2, $"target sparsity must be in [0, 2], got {TargetEdgeSparsity}");
        Need(TargetNodeSparsity is null or (>= 0 and <= 2), $"node target sparsity must be in [0, 2], got {TargetNodeSparsity}");
        Need(Steps > 0, $"steps must be positive, got {Steps}");
        Need(Batch > 0, $"batch must be positive, got {Batch}");
        Need(SparsityWarmupSteps >= 0 && LrWarmupSteps >= 0, "warm-up steps must be ≥ 0");
        Need(EdgeLr > 0 && EdgeLambdaLr >= 0 && NodeLr > 0 && NodeLambdaLr >= 0, "learning rates must be positive");
        if (WarmStart is { } w) Baselines.WarmStartMethod.Parse(w);
    }

    /// <summary>The spec's Tracr reverse recipe: node masks are trained, only their Lagrangian is off (as the reference).</summary>
    public static PruningOptions TracrReverse() => new()
    {
        TargetEdgeSparsity = 1.02, Steps = 6000, SparsityWarmupSteps = 5900, LrWarmupSteps = 1500, Batch = 16,
        EdgeLr = 0.03, EdgeLambdaLr = 0.001, NodeLr = 0.03, NodeLambdaLr = 0.001, Ablation = Ablation.Zero, NodeMasks = true,
        TargetNodeSparsity = null,
    };

    /// <summary>The spec's Tracr xproportion recipe.</summary>
    public static PruningOptions TracrXProportion() => new()
    {
        TargetEdgeSparsity = 0.92, TargetNodeSparsity = 0.4, Steps = 720, SparsityWarmupSteps = 640, LrWarmupSteps = 96, Batch = 16,
        EdgeLr = 1, EdgeLambdaLr = 1e-4, NodeLr = 1, NodeLambdaLr = 1e-4, Ablation = Ablation.Zero,
    };
}
