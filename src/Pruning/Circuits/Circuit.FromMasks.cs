using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

public sealed partial record Circuit
{
    /// <summary>
    /// A circuit over every edge of <paramref name="graph"/>. <paramref name="maskValue"/> and <paramref name="kept"/>
    /// take (reader, writer) indices. With node masks, an edge counts only when its writer is kept too
    /// (effective edge = edge mask · writer mask, as Edge Pruning evaluates); the recorded mask stays the edge's own.
    /// </summary>
    public static Circuit FromMasks(EdgeGraph graph, Func<int, int, double> maskValue, Func<int, int, bool> kept,
        IReadOnlyList<bool>? keptWriters = null, string modelId = "")
    {
        CheckWriterMask(graph, keptWriters);
        var masks = NewMatrix<double>(graph);
        var effective = NewMatrix<bool>(graph);
        for (int r = 0; r < masks.Length; r++)
            for (int w = 0; w < masks[r].Length; w++)
            {
                masks[r][w] = maskValue(r, w);
                effective[r][w] = kept(r, w) && (keptWriters is null || keptWriters[w]);
            }
        return FromMatrices(graph, masks, effective, modelId, keptWriters);
    }

    /// <summary>
    /// A circuit from dense per-reader masks, <c>masks[r][w]</c> for w below the reader's visible writers
    /// (longer rows are allowed; the rest is ignored). An edge is kept when its mask is above
    /// <paramref name="threshold"/> and, with node masks, its writer is kept.
    /// </summary>
    public static Circuit FromMasks(EdgeGraph graph, double[][] masks, double threshold = 0.5,
        IReadOnlyList<bool>? keptWriters = null, string modelId = "")
    {
        if (masks.Length != graph.Readers.Count)
            throw new ArgumentException($"masks have {masks.Length} rows, the graph has {graph.Readers.Count} readers", nameof(masks));
        for (int r = 0; r < masks.Length; r++)
            if (masks[r].Length < graph.Readers[r].VisibleWriters)
                throw new ArgumentException($"mask row of reader {graph.Readers[r].Name} has {masks[r].Length} entries, it sees {graph.Readers[r].VisibleWriters} writers", nameof(masks));
        return FromMasks(graph, (r, w) => masks[r][w], (r, w) => masks[r][w] > threshold, keptWriters, modelId);
    }

    /// <summary>
    /// The circuit of <paramref name="graph"/> with these mask values and (effective) kept flags; writers that
    /// <paramref name="keptWriters"/> marks as removed are left out of the node list.
    /// </summary>
    public static Circuit FromMatrices(EdgeGraph graph, double[][] masks, bool[][] kept, string modelId = "",
        IReadOnlyList<bool>? keptWriters = null)
    {
        CheckWriterMask(graph, keptWriters);
        var index = new GraphEdgeIndex(graph);
        var edges = new CircuitEdge[graph.EdgeCount];
        long i = 0;
        for (int r = 0; r < graph.Readers.Count; r++)
            for (int w = 0; w < graph.Readers[r].VisibleWriters; w++)
            {
                double m = masks[r][w];
                if (!double.IsFinite(m))
                    throw new ArgumentException($"mask of edge {index.Name(r, w)} is {m}", nameof(masks));
                edges[i++] = new CircuitEdge(index.Name(r, w), m, kept[r][w]);
            }
        return new Circuit
        {
            Model = CircuitModel.Of(graph, modelId),
            Edges = edges,
            TotalEdges = graph.EdgeCount,
            Nodes = NodesOf(index, kept, keptWriters),
        };
    }

    /// <summary>
    /// Writers and reader nodes touched by a kept edge, in writer order, then <c>logits</c>. A grouped key/value
    /// reader touches every query head of its group (the heads that share those keys and values). Writers that
    /// <paramref name="keptWriters"/> marks as removed are not nodes of the circuit even when an edge enters them.
    /// </summary>
    public static IReadOnlyList<string> NodesOf(EdgeGraph graph, bool[][] kept, IReadOnlyList<bool>? keptWriters = null)
    {
        CheckWriterMask(graph, keptWriters);
        return NodesOf(new GraphEdgeIndex(graph), kept, keptWriters);
    }

    private static string[] NodesOf(GraphEdgeIndex index, bool[][] kept, IReadOnlyList<bool>? keptWriters)
    {
        var graph = index.Graph;
        var touched = new bool[graph.Writers.Count];
        for (int r = 0; r < kept.Length; r++)
        {
            bool any = false;
            for (int w = 0; w < graph.Readers[r].VisibleWriters; w++)
                if (kept[r][w]) { touched[w] = true; any = true; }
            if (any) foreach (int n in index.FedNodes(r)) touched[n] = true;
        }
        var nodes = new List<string>();
        for (int w = 0; w < touched.Length; w++)
            if (touched[w] && (keptWriters is null || keptWriters[w])) nodes.Add(graph.Writers[w]);
        nodes.Add("logits");
        return nodes.ToArray();
    }

    /// <summary>This circuit with new kept flags (mask values unchanged), its nodes recomputed; a kept-only listing stays kept-only.</summary>
    public Circuit WithKept(EdgeGraph graph, bool[][] kept)
    {
        var rebuilt = FromMatrices(graph, MaskMatrix(graph), kept, Model.Id);
        var next = this with { Edges = rebuilt.Edges, Nodes = rebuilt.Nodes };
        return ListsAllEdges ? next : next.KeptEdgesOnly();
    }

    private static void CheckWriterMask(EdgeGraph graph, IReadOnlyList<bool>? keptWriters)
    {
        if (keptWriters is not null && keptWriters.Count != graph.Writers.Count)
            throw new ArgumentException($"node mask has {keptWriters.Count} entries, the graph has {graph.Writers.Count} writers", nameof(keptWriters));
    }
}
