using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Planning;

/// <summary>
/// The memory of an Edge Pruning run by formula, term by term, from the tensors that
/// <see cref="Masking.EdgeMaskedModel"/> and <see cref="EdgePruner"/> allocate. Symbols: n = micro-batch
/// tokens (micro·T), d model dim, W writers, R = ρ Q/K/V readers per layer, E edges, H heads, KV KV heads,
/// hd/vd head key/value dims, f MLP dim, V readout size, L layers, a activation bytes, w weight bytes.
/// Attention probabilities, logits and masks are f32 whatever the activation dtype.
/// </summary>
public static class MemoryPlanner
{
    private const int F32 = sizeof(float);

    public static MemoryPlan Plan(MemoryPlanRequest request)
    {
        request.Validate();
        var c = request.Config;
        int e = request.EmbeddingNodes;
        long L = c.Layers, H = c.Heads, KV = c.EffectiveKvHeads, hd = c.HeadDim, vd = c.EffectiveValueDim, d = c.ModelDim, f = c.MlpDim;
        long V = c.EffectiveOutputSize, W = EdgeGraph.WriterCount(c, e), R = EdgeGraph.QkvReadersPerLayer(c), E = EdgeGraph.CountEdges(c, e);
        long m = request.EffectiveMicroBatch, T = request.SeqLen, n = m * T, nd = n * d;
        long a = request.ActivationDType.SizeOf(), w = request.WeightDType.SizeOf();
        long embeddingRows = c.LearnedPositions ? 2 : 1;
        long qkv = H * hd + KV * hd + KV * vd;
        long mlpHidden = c.GatedMlp ? 3 : 2;
        bool keepAll = request.Schedule == ActivationSchedule.KeepAllLayers;
        long layersHeld = keepAll ? L : 1;
        var ablation = request.Ablation;
        string Wt = request.WeightDType.Name();

        bool fused = request.FusedReads;
        long statRows = c.Norm == NormKind.LayerNorm ? 2 : 1;
        long wideBytes = fused ? F32 : a;
        // Bytes of one reader group's read (R' readers): unfused, its input x, normed input and their gradients;
        // fused, the normed input and its gradient, an f32 copy of the corrupted sum and the norm statistics.
        long ReadBytes(long readers) => fused ? 2 * readers * nd * a + nd * F32 + statRows * readers * n * F32 : 4 * readers * nd * a;
        string readFormula = fused ? $"2R'·n·d·a + n·d·4 + {statRows}R'·n·4" : "4R'·n·d·a";
        // Bytes of one layer's forward and backward tensors in the masked model: the reads of its Q/K/V readers
        // (R' = R) and of its MLP reader (R' = 1); q/k/v and their gradients; the attended values and their
        // gradients (each writer's output goes straight into its stack row); the MLP's hidden tensors with their
        // gradients; with node masks, each writer's output gradient (m·dD; without them the stack gradient itself);
        // under a fused read in a narrow dtype, each writer's stack gradient narrowed for its backward.
        long narrowed = fused && a != F32 ? (H + 1) * nd * a : 0;
        long writerGrads = request.NodeMasks ? (H + 1) * nd * a : narrowed > 0 ? H * nd * a : 0;
        long layerBytes = ReadBytes(R) + ReadBytes(1) + (2 * n * qkv + 2 * H * n * vd + 2 * mlpHidden * n * f) * a + narrowed + writerGrads;

        var terms = new List<MemoryTerm>
        {
            new("weights", "weights", MemoryScope.Run, c.ParameterCount * w,
                $"{c.ParameterCount:N0} parameters × {w} B ({Wt})"),
            new("head_output_slices", "per-head W_O column blocks (copied contiguous)", MemoryScope.Run,
                L * (d * H * vd + (c.AttentionBias ? d : 0)) * w, $"L·d·H·vd·w = {L}·{d}·{H}·{vd}·{w} B"),
            new("mask_state", "masks: log α, Adam m and v; per step noise u, sample z, gradient, clipped and pass gradients", MemoryScope.Run,
                (E + W) * 8 * F32, $"(E + W)·8·4 B = ({E:N0} + {W})·32 B"),
        };
        if (request.KeptReferenceBytes > 0)
            terms.Add(new("reference_runs", "the unmasked runs kept per training example: full logits at the loss positions, corrupted writer outputs",
                MemoryScope.Run, request.KeptReferenceBytes, "Σ over examples (W·len·d + loss positions·V)·4 B"));
        if (ablation is Ablation.Mean or Ablation.OptimalConstant)
        {
            long copies = ablation == Ablation.Mean ? 1 : 4;
            terms.Add(new("baseline_constants", ablation == Ablation.Mean ? "mean writer outputs" : "learned baselines with Adam state and gradient",
                MemoryScope.Run, copies * W * d * F32, $"{copies}·W·d·4 B = {copies}·{W}·{d}·4 B"));
        }

        if (ablation != Ablation.Zero)
            terms.Add(new("baseline_outputs", ablation == Ablation.Interchange ? "corrupted-run node outputs ỹ" : "baseline ỹ broadcast over the tokens",
                MemoryScope.MicroBatch, W * nd * a, $"W·n·d·a = {W}·{n}·{d}·{a} B"));
        terms.Add(new("difference_stack", "difference stack D = m·(y − ỹ), the running corrupted sum and the embedding rows",
            MemoryScope.MicroBatch, (W + 1 + embeddingRows) * nd * a, $"(W + {1 + embeddingRows})·n·d·a = {W + 1 + embeddingRows}·{n}·{d}·{a} B"));
        string dDType = fused ? "4" : "a";
        if (request.NodeMasks)
            terms.Add(new("stack_gradient", $"stack gradient dD{(fused ? " (f32: the fused read accumulates it)" : "")} and y − ỹ for the node-mask gradient",
                MemoryScope.MicroBatch, W * nd * (wideBytes + a), $"W·n·d·({dDType} + a) = {W}·{n}·{d}·({wideBytes} + {a}) B"));
        else
            terms.Add(new("stack_gradient", $"stack gradient dD{(fused ? " (f32: the fused read accumulates it)" : "")}",
                MemoryScope.MicroBatch, W * nd * wideBytes, $"W·n·d·{dDType} = {W}·{n}·{d}·{wideBytes} B"));
        if (ablation == Ablation.OptimalConstant)
            terms.Add(new("baseline_gradient", "gradient of the learned baselines and the running reader-gradient sum",
                MemoryScope.MicroBatch, W * nd * a + nd * wideBytes, $"W·n·d·a + n·d·{dDType} = {W}·{n}·{d}·{a} + {n}·{d}·{wideBytes} B"));
        if (!keepAll)
            terms.Add(new("layer_start_sums", "the corrupted sum at each layer's start, from which the backward recomputes the layer, and the recomputed layer's running copy",
                MemoryScope.MicroBatch, (L + 1) * nd * a, $"(L + 1)·n·d·a = {L + 1}·{n}·{d}·{a} B"));
        terms.Add(new("layer_working_set", keepAll ? "every layer's forward and backward tensors (kept by the tape)" : "one layer's forward and backward tensors (recomputed)",
            MemoryScope.MicroBatch, layersHeld * layerBytes,
            $"{layersHeld}·[{readFormula} (R' = R, 1) + (2n·(H·hd + KV·hd + KV·vd) + 2H·n·vd + {2 * mlpHidden}·n·f)·a" +
            $"{(writerGrads > 0 ? request.NodeMasks ? " + (H + 1)·n·d·a" : " + H·n·d·a" : "")}{(narrowed > 0 ? " + (H + 1)·n·d·a" : "")}] = {layersHeld}·{layerBytes:N0} B"));
        terms.Add(new("attention_probabilities", keepAll ? "attention probabilities of every layer" : "attention probabilities of one layer",
            MemoryScope.MicroBatch, layersHeld * m * H * T * T * F32, $"{layersHeld}·B·H·T²·4 B = {layersHeld}·{m}·{H}·{T}²·4 B"));
        if (ablation == Ablation.Interchange)
        {
            // The corrupted run keeps, besides its outputs ỹ, its embedding rows and corrupted sum until the
            // micro-batch ends; each of its layers' tensors is given back when the layer is done, and it has no readout.
            terms.Add(new("corrupted_run", "corrupted run's embedding rows and corrupted sum",
                MemoryScope.MicroBatch, (1 + embeddingRows) * nd * a, $"{1 + embeddingRows}·n·d·a = {1 + embeddingRows}·{n}·{d}·{a} B"));
        }
        long workspace = n * (5 * d + H * hd + KV * hd + KV * vd + H * vd + 2 * f);
        // Logits only at the rows the loss reads (k of them), or at every token.
        long k = request.ReadRowsPerSequence is { } rows ? m * Math.Min(rows, T) : n;
        long picked = request.ReadRowsPerSequence is null ? 0 : 2 * k * d * a;
        terms.Add(new("full_model_run", "full-model run: one layer's workspace and its logits at the read rows",
            MemoryScope.MicroBatch, workspace * a + k * V * F32, $"n·(5d + H·hd + KV·hd + KV·vd + H·vd + 2f)·a + k·V·4 B = {workspace:N0}·{a} + {k}·{V}·4 B"));
        terms.Add(new("circuit_logits", "circuit logits at the read rows and their gradient, the readout's read (R' = 1), the gradient of its normed input, and the picked rows with their gradient",
            MemoryScope.MicroBatch, 2 * k * V * F32 + ReadBytes(1) + picked, $"2·k·V·4 + {readFormula} + 2·k·d·a = 2·{k}·{V}·4 + {ReadBytes(1):N0} + {picked:N0} B"));
        return new MemoryPlan(request, terms);
    }

    /// <summary>
    /// The largest micro-batch in [1, batch] whose plan fits <paramref name="budgetBytes"/>, or 0 when
    /// not even one sequence at a time fits. The total grows with the micro-batch, so this bisects.
    /// </summary>
    public static int LargestMicroBatch(MemoryPlanRequest request, long budgetBytes)
    {
        bool Fits(int micro) => Plan(request with { MicroBatch = micro }).Fits(budgetBytes);
        if (!Fits(1)) return 0;
        int lo = 1, hi = request.Batch;
        while (lo < hi)
        {
            int mid = lo + (hi - lo + 1) / 2;
            if (Fits(mid)) lo = mid; else hi = mid - 1;
        }
        return lo;
    }
}
