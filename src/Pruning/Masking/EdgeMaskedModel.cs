using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// A transformer with its residual stream replaced by explicit edges. Every writer (embedding nodes,
/// heads, MLPs) keeps its own output; every reader (each head's Q, K, V input, each MLP input, the
/// readout) reads x_r = C_r + Σ_w z[r,w]·(y_w − ỹ_w), where ỹ is the baseline (the corrupted run's
/// writer outputs under interchange ablation, zero under zero ablation) and C_r = Σ_w ỹ_w over the
/// writers r sees (plus the unmasked clean embedding when embeddings are not nodes). Edge masks z = 1
/// reproduce the plain forward; z = 0 reproduces the baseline run. The reads of a layer are one matrix
/// product over the append-only stack of writer contributions.
/// <para>
/// Every operation of the forward and of the recorded backward goes through the model's backend (its
/// kernels and gradient kernels), so the same pass runs on the host or, for a model built with
/// <see cref="Transformer.OnBackend"/>, on a GPU. Activations and their gradients take the weights' dtype;
/// masks and mask gradients are f32.
/// </para>
/// </summary>
public sealed class EdgeMaskedModel
{
    private readonly IKernelBackend _backend;
    private readonly IKernels _k;
    private readonly IGradientKernels _g;
    private readonly HeadSlices[] _heads;
    private FusedReadNorms? _fusedNorms;
    // Stands in for the tensors a pass does not make (no readout, no gradients); never read.
    private static readonly Tensor Nothing = Tensor.Empty(DType.F32, 0);
    private Tensor? _ones;

    /// <param name="model">The transformer whose edges are masked.</param>
    /// <param name="embeddingNodes">Embedding writers of the graph (0, 1 or 2).</param>
    /// <param name="hostBackend">
    /// For a model on the host without a backend of its own: the backend whose gradient and masked-read kernels
    /// the pass uses (by default the host backend over the model's kernels). Ignored for a model with a backend.
    /// </param>
    public EdgeMaskedModel(Transformer model, int embeddingNodes, IKernelBackend? hostBackend = null)
    {
        Model = model;
        _k = model.Kernels;
        _backend = model.Backend ?? hostBackend ?? new CpuKernelBackend(model.Kernels);
        _g = _backend.Gradients;
        Graph = EdgeGraph.For(model.Config, embeddingNodes);
        Layout = new MaskLayout(Graph);
        _heads = model.Weights.Layers.Select(w => HeadSlices.Of(w, model.Config, _backend)).ToArray();
    }

    public Transformer Model { get; }
    public TransformerConfig Config => Model.Config;
    public EdgeGraph Graph { get; }
    public MaskLayout Layout { get; }
    public int Writers => Graph.Writers.Count;
    public long EdgeCount => Layout.EdgeCount;

    /// <summary>How a pass reads and whether it recomputes layers in the backward (the values are the same up to rounding).</summary>
    public MaskedPassSettings Settings { get; set; } = MaskedPassSettings.Default;

    /// <summary>When set, every masked read of a pass is timed into it (forward and backward apart); null normally.</summary>
    public ReadTimer? ReadTimer { get; set; }

    /// <summary>
    /// When set ([edges] f32 on the host), every backward adds into it, for each edge w → r, Σ |∂L/∂x_r|·m_w(|y_w| + |ỹ_w|)
    /// over the pass's token rows and features: the sizes of the terms whose sum is that edge's mask gradient
    /// (<see cref="EdgeGradientTerms"/>; a parity check scales its tolerance by them,
    /// <see cref="Kernels.Parity.ParityTolerances.ForStep"/>). Only for an f32 model on the host reading unfused; null normally.
    /// </summary>
    public Tensor? EdgeGradientTermSizes { get; set; }

    /// <summary>Where the pass runs: the model's backend, or the host over the model's kernels.</summary>
    public IKernelBackend Backend => _backend;

    /// <summary>Whether the weights (and so every tensor of a pass) live in device memory.</summary>
    public bool OnDevice => Model.Weights.TokenEmbedding.IsOnDevice;

    /// <summary>
    /// Runs the edge-masked model on <paramref name="tokens"/> (batch × T, row-major).
    /// <paramref name="baseline"/> [writers, batch·T·d] holds ỹ (null: zero ablation);
    /// <paramref name="edgeMasks"/> [edges] and <paramref name="nodeMasks"/> [writers] default to all ones.
    /// Tensors passed in live where the model does. With a <paramref name="tape"/>, the backward into the
    /// masks is recorded on it. The pass's tensors (the returned ones included) come from
    /// <paramref name="arena"/> (host) or <paramref name="scope"/> when given, and are valid until it is
    /// reset or disposed; otherwise from the backend. With <paramref name="baselineGrad"/>, the backward
    /// also fills <see cref="MaskedPass.BaselineGrad"/> (for a learned baseline: optimal-constant ablation).
    /// With <paramref name="readRows"/> (token rows b·T + t), the logits are computed at those rows only:
    /// <see cref="MaskedPass.Logits"/> is then [rows, outputs] in their order.
    /// <para>
    /// Grouped edge masks [G, edges] evaluate G circuits in one pass without a tape: the batch's sequences fall
    /// into G equal runs (G copies of a batch), run g under masks row g (and the baseline's columns of its own
    /// sequences, as always).
    /// </para>
    /// </summary>
    public MaskedPass Forward(ReadOnlySpan<int> tokens, int batch, Tensor? baseline = null, Tensor? edgeMasks = null,
        Tensor? nodeMasks = null, Tape? tape = null, TensorArena? arena = null, bool baselineGrad = false, ITensorScope? scope = null,
        int[]? readRows = null) =>
        Run(tokens, batch, baseline, edgeMasks, nodeMasks, tape, arena, baselineGrad, scope, readout: true, readRows);

    /// <summary>
    /// Every writer's output [writers, batch·T·d] on <paramref name="tokens"/> with all edges kept and no
    /// ablation: the ỹ of the corrupted run of interchange ablation. It is the <see cref="MaskedPass.Outputs"/> of
    /// <see cref="Forward"/> without the readout (nothing reads the corrupted run's logits), each layer's tensors
    /// given back as soon as it is done.
    /// </summary>
    public Tensor WriterOutputs(ReadOnlySpan<int> tokens, int batch, TensorArena? arena = null, ITensorScope? scope = null) =>
        Run(tokens, batch, null, null, null, null, arena, false, scope, readout: false, null).Outputs;

    private MaskedPass Run(ReadOnlySpan<int> tokens, int batch, Tensor? baseline, Tensor? edgeMasks, Tensor? nodeMasks, Tape? tape,
        TensorArena? arena, bool baselineGrad, ITensorScope? scope, bool readout, int[]? readRows)
    {
        var c = Config;
        var memory = new PassMemory(_backend, _g, arena, scope);
        var at = Model.DType;
        if (batch <= 0 || tokens.Length % batch != 0) throw new ShapeException($"{tokens.Length} tokens do not split into {batch} sequences");
        int T = tokens.Length / batch, n = tokens.Length, d = c.ModelDim, nd = n * d, W = Writers;
        if (T > c.MaxSeqLen) throw new ShapeException($"sequence of {T} tokens exceeds the model's {c.MaxSeqLen} positions");
        if (baseline is not null && (baseline.Shape.Rows != W || baseline.Shape.Cols != nd))
            throw new ShapeException($"baseline {baseline.Shape} does not match [{W}, {nd}]");
        var z = edgeMasks ?? Ones(memory);
        int groups = z.Shape.Rank == 2 ? z.Shape[0] : 1;
        if (z.Shape.Rank > 2 || groups < 1 || z.Count != groups * EdgeCount)
            throw new ShapeException($"edge masks {z.Shape} for a graph of {EdgeCount} edges: [edges] or [groups, edges] expected");
        if (groups == 1) z = z.Reshape(checked((int)EdgeCount));
        if (groups > 1 && batch % groups != 0)
            throw new ShapeException($"{batch} sequences do not split into the {groups} groups of the edge masks");
        if (groups > 1 && tape is { IsRecording: true })
            throw new EdgePruningException($"grouped edge masks ({groups} circuits in one pass) are for forward passes only; this pass records a tape");
        if (nodeMasks is not null && (nodeMasks.Count != W || nodeMasks.DType != DType.F32))
            throw new ShapeException($"{nodeMasks.Count} node masks of {nodeMasks.DType.Name()} for {W} writers (f32)");
        RequirePlaced("edge masks", z);
        RequirePlaced("node masks", nodeMasks);
        RequirePlaced("baseline", baseline);
        bool grad = tape is { IsRecording: true };
        if (grad && EdgeGradientTermSizes is { } terms) RequireTermSizesHere(terms);
        if (readRows is not null)
            foreach (int r in readRows)
                if ((uint)r >= (uint)n) throw new ShapeException($"read row {r} is outside the {n} token rows");
        int[] logitsShape = readRows is null ? [batch, T, c.EffectiveOutputSize] : [readRows.Length, c.EffectiveOutputSize];

        var pass = new MaskedPass
        {
            Batch = batch,
            Tokens = T,
            Logits = readout ? memory.Empty(at, logitsShape) : Nothing,
            Outputs = memory.Empty(at, W, nd),
            LogitsGrad = readout ? memory.Zeros(at, logitsShape) : Nothing,
            EdgeGrad = grad ? memory.Zeros(DType.F32, checked((int)EdgeCount)) : Nothing,
            NodeGrad = grad ? memory.Zeros(DType.F32, W) : Nothing,
            BaselineGrad = baselineGrad && grad ? memory.Zeros(at, W, nd) : null,
        };
        var ids = tokens.ToArray();
        bool fused = Settings.ReadsFused(Config, OnDevice, groups > 1);
        new MaskedForward(this, _heads, fused ? FusedNorms() : null, Settings.Recompute, memory, tape, pass, z, baseline, nodeMasks,
            KeyMask(ids, batch, T), readRows).Run(ids, readout);
        return pass;
    }

    /// <summary>
    /// Whether the reads of a pass under single edge masks go through the fused masked read: as <see cref="Settings"/>
    /// asks, where <see cref="MaskedReadPath.Auto"/> means on a device and with a norm in front of every reader (grouped
    /// masks read fused on the host too, <see cref="MaskedPassSettings.ReadsFused"/>).
    /// </summary>
    public bool FusedReads => Settings.ReadsFused(Config, OnDevice);

    /// <summary>Whether a model of <paramref name="config"/> can read fused: a LayerNorm or RMSNorm before every reader.</summary>
    public static bool SupportsFusedReads(TransformerConfig config) => FusedReadNorms.Supports(config);

    private FusedReadNorms FusedNorms() => _fusedNorms ??= FusedReadNorms.Of(Model, _backend);

    private void RequirePlaced(string what, Tensor? t)
    {
        if (t is not null && t.IsOnDevice != OnDevice)
            throw new ShapeException($"{what} live on {t.Storage.Location}; the model lives on {Model.Weights.TokenEmbedding.Storage.Location}");
    }

    private void RequireTermSizesHere(Tensor terms)
    {
        if (OnDevice || Model.DType != DType.F32 || FusedReads)
            throw new EdgePruningException("edge gradient term sizes are summed only by an f32 model on the host reading unfused; " +
                $"this one is {Model.DType.Name()} on {Model.Weights.TokenEmbedding.Storage.Location}, reading {(FusedReads ? "fused" : "unfused")}");
        if (terms.IsOnDevice || terms.DType != DType.F32 || terms.Count != EdgeCount)
            throw new ShapeException($"edge gradient term sizes: {terms.Count} {terms.DType.Name()} values on {terms.Storage.Location}; " +
                $"{EdgeCount} f32 on the host expected");
    }

    private bool[] KeyMask(int[] ids, int batch, int T)
    {
        if (Config.PadTokenId < 0 || !ids.Contains(Config.PadTokenId)) return [];
        var mask = new bool[batch * T];
        for (int i = 0; i < ids.Length; i++) mask[i] = ids[i] != Config.PadTokenId;
        return mask;
    }

    /// <summary>All-ones edge masks: kept on the host, made for the pass on a device.</summary>
    private Tensor Ones(PassMemory memory)
    {
        if (OnDevice)
        {
            var t = memory.Zeros(DType.F32, checked((int)EdgeCount));
            _g.Fill(t, 1f);
            return t;
        }
        if (_ones is null || _ones.Count != EdgeCount)
        {
            var t = Tensor.Empty(DType.F32, checked((int)EdgeCount));
            t.Fill(1f);
            _ones = t;
        }
        return _ones;
    }
}
