using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>What one ACDC run found, with the trials it decided (and the full graph's evaluation) and the masked forwards it ran.</summary>
public sealed record AcdcResult(bool[] Kept, double Kl, int Evaluations, int Forwards);

/// <summary>
/// ACDC (Conmy et al. 2023): starting from the full graph, visit readers in reverse topological order
/// (the logits first, then each layer's MLP input, then its Q/K/V inputs, down to layer 0) and, for each
/// of a reader's incoming edges (latest writer first), ablate it and keep it ablated when the KL(full ‖
/// circuit) of the task rises by less than the threshold τ over the current circuit's. Every trial is one
/// masked forward over all the examples, with the full model's logits and the ablation baseline computed
/// once (<see cref="TaskBatches"/>). Edges into a reader that no longer reaches the logits are removed
/// without a trial: they cannot change the output. Sequentially that is one forward pass per edge, so ACDC
/// is slow by nature: E forwards for E edges, and a faithfulness curve needs one run per threshold. With K
/// candidates per forward, the next K trials are scored in one forward over K copies of each batch, on the
/// assumption that they are all accepted (<see cref="AcdcSpeculativeWalk"/>): the same decisions, about E/K forwards
/// where most trials are accepted.
/// </summary>
public static class Acdc
{
    /// <param name="candidatesPerForward">
    /// Trials scored per masked forward: 1 runs the sequential walk (one forward per trial); K &gt; 1 the speculative one;
    /// 0 picks K from the batch size and a memory budget (<see cref="AcdcCandidates"/>).
    /// </param>
    public static AcdcResult Run(CircuitScorer scorer, double threshold, Action<int, int>? progress = null, int candidatesPerForward = 1)
    {
        if (!(threshold >= 0)) throw new EdgePruningException($"ACDC threshold must be ≥ 0, got {threshold}");
        if (candidatesPerForward < 0) throw new EdgePruningException($"ACDC candidates per forward must be ≥ 0 (0: chosen by memory), got {candidatesPerForward}");
        var layout = scorer.Batches.Pruner.Model.Layout;
        int k = candidatesPerForward == 0 ? AcdcCandidates.PerForward(scorer.Batches) : candidatesPerForward;
        if (k == 1) return Sequential(layout, threshold, z => scorer.Score(z).Kl, progress);
        using var grouped = new GroupedCircuitScorer(scorer.Batches);
        var full = Tensor.Zeros(1, checked((int)layout.EdgeCount));
        full.Fill(1);
        return AcdcSpeculativeWalk.Run(layout, threshold, k, grouped.Kl(full)[0], grouped.Kl, progress);
    }

    /// <summary>The sequential walk: one call of <paramref name="kl"/> (masks [edges], f32 on the host) per trial.</summary>
    internal static AcdcResult Sequential(MaskLayout layout, double threshold, Func<Tensor, double> kl, Action<int, int>? progress = null)
    {
        var graph = layout.Graph;
        int E = checked((int)layout.EdgeCount);
        var z = Tensor.Zeros(E);
        z.Fill(1);
        double current = kl(z);
        int evaluations = 1, visited = 0;
        for (int r = graph.Readers.Count - 1; r >= 0; r--)
        {
            int offset = (int)layout.Offset(r), visible = graph.Readers[r].VisibleWriters;
            bool reaches = DanglingEdges.ReadersReachingLogits(graph, Rows(layout, Kept(z)))[r];
            for (int w = visible - 1; w >= 0; w--)
            {
                var span = z.Span;
                int e = offset + w;
                progress?.Invoke(++visited, E);
                if (span[e] == 0) continue;
                span[e] = 0;
                if (!reaches) continue;
                double value = kl(z);
                evaluations++;
                if (value - current < threshold) current = value;
                else z.Span[e] = 1;
            }
        }
        return new AcdcResult(Kept(z), current, evaluations, evaluations);
    }

    /// <summary>The walk's order: (reader, edge) for every edge, readers from the logits down, each reader's latest writer first.</summary>
    internal static (int Reader, int Edge)[] VisitOrder(MaskLayout layout)
    {
        var graph = layout.Graph;
        var visits = new List<(int, int)>(checked((int)layout.EdgeCount));
        for (int r = graph.Readers.Count - 1; r >= 0; r--)
            for (int w = graph.Readers[r].VisibleWriters - 1; w >= 0; w--) visits.Add((r, (int)layout.Offset(r) + w));
        return visits.ToArray();
    }

    /// <summary>Kept flags per reader over its visible writers, as <see cref="DanglingEdges"/> reads them.</summary>
    internal static bool[][] Rows(MaskLayout layout, bool[] kept)
    {
        var graph = layout.Graph;
        var rows = new bool[graph.Readers.Count][];
        for (int r = 0; r < rows.Length; r++)
            rows[r] = kept.AsSpan((int)layout.Offset(r), graph.Readers[r].VisibleWriters).ToArray();
        return rows;
    }

    private static bool[] Kept(Tensor z)
    {
        var kept = new bool[z.Count];
        var s = z.Span;
        for (int e = 0; e < kept.Length; e++) kept[e] = s[e] != 0;
        return kept;
    }
}
