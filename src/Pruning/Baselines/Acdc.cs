using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>What one ACDC run found.</summary>
public sealed record AcdcResult(bool[] Kept, double Kl, int Evaluations);

/// <summary>
/// ACDC (Conmy et al. 2023): starting from the full graph, visit readers in reverse topological order
/// (the logits first, then each layer's MLP input, then its Q/K/V inputs, down to layer 0) and, for each
/// of a reader's incoming edges (latest writer first), ablate it and keep it ablated when the KL(full ‖
/// circuit) of the task rises by less than the threshold τ over the current circuit's. Every trial is one
/// masked forward over all the examples, with the full model's logits and the ablation baseline computed
/// once (<see cref="TaskBatches"/>). Edges into a reader that no longer reaches the logits are removed
/// without a trial: they cannot change the output. Still one forward pass per edge per run, so ACDC is
/// slow by nature: E forwards for E edges, and a faithfulness curve needs one run per threshold.
/// </summary>
public static class Acdc
{
    public static AcdcResult Run(CircuitScorer scorer, double threshold, Action<int, int>? progress = null)
    {
        if (!(threshold >= 0)) throw new EdgePruningException($"ACDC threshold must be ≥ 0, got {threshold}");
        var model = scorer.Batches.Pruner.Model;
        var layout = model.Layout;
        var graph = model.Graph;
        int E = checked((int)model.EdgeCount);
        var z = Tensor.Zeros(E);
        z.Fill(1);
        double current = scorer.Score(z).Kl;
        int evaluations = 1, visited = 0;
        for (int r = graph.Readers.Count - 1; r >= 0; r--)
        {
            int offset = (int)layout.Offset(r), visible = graph.Readers[r].VisibleWriters;
            bool reaches = DanglingEdges.ReadersReachingLogits(graph, Rows(layout, z))[r];
            for (int w = visible - 1; w >= 0; w--)
            {
                var span = z.Span;
                int e = offset + w;
                progress?.Invoke(++visited, E);
                if (span[e] == 0) continue;
                span[e] = 0;
                if (!reaches) continue;
                double kl = scorer.Score(z).Kl;
                evaluations++;
                if (kl - current < threshold) current = kl;
                else z.Span[e] = 1;
            }
        }
        var kept = new bool[E];
        for (int e = 0; e < E; e++) kept[e] = z.Span[e] != 0;
        return new AcdcResult(kept, current, evaluations);
    }

    private static bool[][] Rows(Masking.MaskLayout layout, Tensor z)
    {
        var graph = layout.Graph;
        var rows = new bool[graph.Readers.Count][];
        var s = z.Span;
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new bool[graph.Readers[r].VisibleWriters];
            for (int w = 0; w < rows[r].Length; w++) rows[r][w] = s[(int)layout.Offset(r) + w] != 0;
        }
        return rows;
    }
}
