using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Removes kept edges that cannot carry signal from the inputs to the logits. An edge survives when
/// (1) its writer has input: it is an embedding node, or, for a head, one of its query/key/value readers
/// (the KV head's, under grouped attention) has a surviving edge from a writer that has input, or, for an MLP,
/// its reader has one; without embedding nodes (e = 0) the unmasked embedding feeds every reader, so every head
/// and MLP has input; and (2) its reader reaches the logits: it is the logits, or it feeds a node (its head, the
/// heads of its KV group, its MLP) that has a surviving edge into a reader that reaches the logits.
/// Both conditions are recomputed until nothing changes.
/// </summary>
/// <remarks>
/// "Dangling" is a structural notion. Under interchange ablation a node whose inputs are all removed still
/// computes, on the corrupted inputs, so removing its edges changes the pruned model's output; apply this to
/// report and draw a circuit, and evaluate the circuit as trained.
/// </remarks>
public static class DanglingEdges
{
    /// <summary>The kept flags with dangling edges removed; <paramref name="kept"/> is not modified.</summary>
    public static bool[][] Prune(EdgeGraph graph, bool[][] kept)
    {
        if (kept.Length != graph.Readers.Count)
            throw new ArgumentException($"kept flags have {kept.Length} rows, the graph has {graph.Readers.Count} readers", nameof(kept));
        var index = new GraphEdgeIndex(graph);
        var current = kept.Select((row, r) => row[..graph.Readers[r].VisibleWriters]).ToArray();
        while (PruneOnce(index, current)) { }
        return current;
    }

    /// <summary>The circuit with dangling edges no longer kept and its node list recomputed.</summary>
    public static Circuit Prune(Circuit circuit, EdgeGraph graph) => circuit.WithKept(graph, Prune(graph, circuit.KeptMatrix(graph)));

    /// <summary>Writers that have input, in the sense of rule (1), under these kept flags.</summary>
    public static bool[] WritersWithInput(EdgeGraph graph, bool[][] kept) => WritersWithInput(new GraphEdgeIndex(graph), kept);

    /// <summary>Readers that reach the logits, in the sense of rule (2), under these kept flags.</summary>
    public static bool[] ReadersReachingLogits(EdgeGraph graph, bool[][] kept) => ReadersReachingLogits(new GraphEdgeIndex(graph), kept);

    private static bool PruneOnce(GraphEdgeIndex index, bool[][] kept)
    {
        var hasInput = WritersWithInput(index, kept);
        var reaches = ReadersReachingLogits(index, kept);
        bool changed = false;
        for (int r = 0; r < kept.Length; r++)
            for (int w = 0; w < kept[r].Length; w++)
                if (kept[r][w] && !(hasInput[w] && reaches[r]))
                {
                    kept[r][w] = false;
                    changed = true;
                }
        return changed;
    }

    private static bool[] WritersWithInput(GraphEdgeIndex index, bool[][] kept)
    {
        var graph = index.Graph;
        var has = new bool[graph.Writers.Count];
        int e = graph.EmbeddingNodes;
        for (int w = 0; w < e; w++) has[w] = true;
        bool Fed(int reader)
        {
            for (int w = 0; w < graph.Readers[reader].VisibleWriters; w++)
                if (kept[reader][w] && has[w]) return true;
            return false;
        }
        // Writers are in topological order: a node's readers see only writers before it.
        for (int l = 0; l < graph.Config.Layers; l++)
        {
            for (int h = 0; h < graph.Config.Heads; h++)
            {
                var (q, k, v) = index.HeadReaders(l, h);
                has[graph.HeadWriter(l, h)] = e == 0 || Fed(q) || Fed(k) || Fed(v);
            }
            has[graph.MlpWriter(l)] = e == 0 || Fed(index.MlpReader(l));
        }
        return has;
    }

    private static bool[] ReadersReachingLogits(GraphEdgeIndex index, bool[][] kept)
    {
        var graph = index.Graph;
        var reaches = new bool[graph.Readers.Count];
        var nodeReaches = new bool[graph.Writers.Count];
        // Readers are in layer order and each feeds nodes that later readers (or the logits) read,
        // so one pass from the logits backwards settles every node before any reader that feeds it is seen.
        for (int r = graph.Readers.Count - 1; r >= 0; r--)
        {
            reaches[r] = r == index.LogitsReader || index.FedNodes(r).Any(n => nodeReaches[n]);
            if (!reaches[r]) continue;
            for (int w = 0; w < graph.Readers[r].VisibleWriters; w++)
                if (kept[r][w]) nodeReaches[w] = true;
        }
        return reaches;
    }
}
