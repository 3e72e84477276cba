using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Masking;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// Circuits from per-edge attribution scores. The circuit of size N takes edges in order of decreasing
/// |score| (ties: lower flat index first) and removes dangling edges (<see cref="DanglingEdges"/>: edges
/// whose writer gets no input from the embeddings or whose reader does not reach the logits), since they
/// cannot carry signal. Pruning shrinks a prefix, so the prefix taken is the shortest one whose pruned
/// circuit has at least N edges (found by bisection; the pruned count grows with the prefix almost
/// always, and one added edge can reconnect several, so the result can exceed N by a few edges).
/// </summary>
public static class AttributionCircuit
{
    /// <summary>Edge indices by decreasing |score|.</summary>
    public static int[] Ranking(ReadOnlySpan<float> scores)
    {
        var order = new int[scores.Length];
        var keys = new float[scores.Length];
        for (int i = 0; i < order.Length; i++) { order[i] = i; keys[i] = -Math.Abs(scores[i]); }
        Array.Sort(keys, order); // unstable; restore index order among equal keys below
        int start = 0;
        for (int i = 1; i <= order.Length; i++)
            if (i == order.Length || keys[i] != keys[start])
            {
                Array.Sort(order, start, i - start);
                start = i;
            }
        return order;
    }

    /// <summary>Kept flags (flat, <see cref="MaskLayout"/> order) of the circuit of about <paramref name="edges"/> edges.</summary>
    public static bool[] TopN(MaskLayout layout, ReadOnlySpan<float> scores, long edges, bool pruneDangling = true)
    {
        var ranking = Ranking(scores);
        long n = Math.Clamp(edges, 0, ranking.Length);
        if (!pruneDangling) return Prefix(ranking, (int)n);
        int lo = (int)n, hi = ranking.Length;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (Count(Pruned(layout, Prefix(ranking, mid))) >= n) hi = mid; else lo = mid + 1;
        }
        return Pruned(layout, Prefix(ranking, lo));
    }

    /// <summary>The kept flags with dangling edges removed.</summary>
    public static bool[] Pruned(MaskLayout layout, bool[] kept)
    {
        var graph = layout.Graph;
        var rows = new bool[graph.Readers.Count][];
        for (int r = 0; r < rows.Length; r++)
            rows[r] = kept.AsSpan((int)layout.Offset(r), graph.Readers[r].VisibleWriters).ToArray();
        var pruned = DanglingEdges.Prune(graph, rows);
        var flat = new bool[kept.Length];
        for (int r = 0; r < pruned.Length; r++) pruned[r].CopyTo(flat, (int)layout.Offset(r));
        return flat;
    }

    public static long Count(bool[] kept) => kept.LongCount(k => k);

    private static bool[] Prefix(int[] ranking, int k)
    {
        var kept = new bool[ranking.Length];
        for (int i = 0; i < k; i++) kept[ranking[i]] = true;
        return kept;
    }
}
