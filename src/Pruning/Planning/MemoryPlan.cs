using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Planning;

/// <summary>
/// The memory an Edge Pruning run needs, term by term (<see cref="MemoryPlanner"/> says how each is
/// computed). The total is what one micro-batch holds at its peak on top of what the run keeps; the
/// step's micro-batches run one after the other, so their number does not change it.
/// </summary>
public sealed class MemoryPlan
{
    internal MemoryPlan(MemoryPlanRequest request, IReadOnlyList<MemoryTerm> terms)
    {
        Request = request;
        Terms = terms;
        RunBytes = terms.Where(t => t.Scope == MemoryScope.Run).Sum(t => t.Bytes);
        MicroBatchBytes = terms.Where(t => t.Scope == MemoryScope.MicroBatch).Sum(t => t.Bytes);
    }

    public MemoryPlanRequest Request { get; }
    public IReadOnlyList<MemoryTerm> Terms { get; }
    /// <summary>Weights, masks and optimizer state: held for the whole run.</summary>
    public long RunBytes { get; }
    /// <summary>Activations, stack and logits of one micro-batch.</summary>
    public long MicroBatchBytes { get; }
    public long TotalBytes => RunBytes + MicroBatchBytes;

    /// <summary>
    /// The micro-batch terms the CPU trainer carves out of its step arena: all but the attention
    /// probabilities (each attention op holds its own) and the full-model run (the plain transformer keeps
    /// its own workspace). Compare with <see cref="MeasuredPeak.ArenaHighWaterBytes"/>.
    /// </summary>
    public long ArenaBytes => MicroBatchBytes - Terms
        .Where(t => t.Key is "attention_probabilities" or "full_model_run").Sum(t => t.Bytes);

    public MemoryTerm this[string key] => Terms.FirstOrDefault(t => t.Key == key)
        ?? throw new KeyNotFoundException($"the plan has no term '{key}'");

    /// <summary>Whether the plan's total fits in <paramref name="deviceBytes"/>.</summary>
    public bool Fits(long deviceBytes) => TotalBytes <= deviceBytes;

    /// <summary>One line: the total and its two parts, and the largest term.</summary>
    public string Summary()
    {
        var largest = Terms.MaxBy(t => t.Bytes)!;
        return $"memory plan {ByteCount.Format(TotalBytes)}: run {ByteCount.Format(RunBytes)} (weights {ByteCount.Format(this["weights"].Bytes)}), " +
            $"micro-batch of {Request.EffectiveMicroBatch}×{Request.SeqLen} tokens {ByteCount.Format(MicroBatchBytes)}; largest: {largest.Name} {ByteCount.Format(largest.Bytes)}";
    }

    /// <summary>The plan as a fixed-width text table, with the formula of each term.</summary>
    public string ToText()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"memory plan: {Describe()}");
        int width = Math.Max(12, Terms.Max(t => t.Key.Length));
        foreach (var t in Terms)
            s.AppendLine(CultureInfo.InvariantCulture, $"  {t.Key.PadRight(width)} {ByteCount.Format(t.Bytes),10}  {t.Formula}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  {"run".PadRight(width)} {ByteCount.Format(RunBytes),10}");
        s.AppendLine(CultureInfo.InvariantCulture, $"  {"micro-batch".PadRight(width)} {ByteCount.Format(MicroBatchBytes),10}");
        s.Append(CultureInfo.InvariantCulture, $"  {"total".PadRight(width)} {ByteCount.Format(TotalBytes),10}");
        return s.ToString();
    }

    /// <summary>What the plan is for, in one line (shape, dtypes, batch split, read path, schedule).</summary>
    public string Describe()
    {
        var r = Request;
        var c = r.Config;
        return $"{c.Layers} layers, {c.Heads} heads, d {c.ModelDim}, mlp {c.MlpDim}, vocab {c.EffectiveOutputSize}; " +
            $"weights {r.WeightDType.Name()}, activations {r.ActivationDType.Name()}; batch {r.Batch} = {r.MicroBatches} × micro-batch {r.EffectiveMicroBatch} " +
            $"of {r.SeqLen} tokens; {r.Ablation.Name()} ablation{(r.NodeMasks ? ", node masks" : "")}; {(r.FusedReads ? "fused" : "unfused")} read; {Schedule(r.Schedule)}";
    }

    public JsonObject ToJson()
    {
        var r = Request;
        var terms = new JsonArray();
        foreach (var t in Terms)
            terms.Add((JsonNode)new JsonObject
            {
                ["key"] = t.Key, ["name"] = t.Name, ["scope"] = t.Scope == MemoryScope.Run ? "run" : "micro_batch",
                ["bytes"] = t.Bytes, ["formula"] = t.Formula,
            });
        return new JsonObject
        {
            ["layers"] = r.Config.Layers,
            ["embedding_nodes"] = r.EmbeddingNodes,
            ["weight_dtype"] = r.WeightDType.Name(),
            ["activation_dtype"] = r.ActivationDType.Name(),
            ["batch"] = r.Batch,
            ["seq_len"] = r.SeqLen,
            ["micro_batch"] = r.EffectiveMicroBatch,
            ["micro_batches"] = r.MicroBatches,
            ["ablation"] = r.Ablation.Name(),
            ["node_masks"] = r.NodeMasks,
            ["schedule"] = Schedule(r.Schedule),
            ["masked_read"] = r.FusedReads ? "fused" : "unfused",
            ["terms"] = terms,
            ["run_bytes"] = RunBytes,
            ["micro_batch_bytes"] = MicroBatchBytes,
            ["total_bytes"] = TotalBytes,
        };
    }

    private static string Schedule(ActivationSchedule s) => s switch
    {
        ActivationSchedule.KeepAllLayers => "keep-all-layers",
        _ => "recompute-per-layer",
    };
}
