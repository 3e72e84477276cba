using System.Text.Json.Nodes;
using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// A circuit found in a model: every edge of the graph with its final mask value and kept flag (or only the
/// kept ones, with the total), the nodes it touches, and how it was found (task, ablation, hyperparameters,
/// seed, metrics, wall time, device). Stored as <c>circuit.json</c> by <see cref="CircuitJson"/>.
/// </summary>
public sealed partial record Circuit
{
    public required CircuitModel Model { get; init; }
    public string Task { get; init; } = "";
    /// <summary>How removed edges were replaced: <c>zero</c>, <c>corrupted</c> (interchange), <c>mean</c>.</summary>
    public string Ablation { get; init; } = "";
    public IReadOnlyDictionary<string, JsonNode?> Hyperparameters { get; init; } = new Dictionary<string, JsonNode?>();
    public long? Seed { get; init; }

    /// <summary>Every edge of the graph in graph order, or only the kept edges when <see cref="ListsAllEdges"/> is false.</summary>
    public required IReadOnlyList<CircuitEdge> Edges { get; init; }
    /// <summary>Number of edges in the model's graph, listed or not.</summary>
    public required long TotalEdges { get; init; }

    /// <summary>Nodes touched by a kept edge, in writer order, then <c>logits</c>.</summary>
    public IReadOnlyList<string> Nodes { get; init; } = [];
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public double? WallTimeSeconds { get; init; }
    /// <summary>Where the run fell short of what was asked (a target not reached, no test split), one sentence each.</summary>
    public IReadOnlyList<string> Shortfalls { get; init; } = [];
    public string? Device { get; init; }
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    public bool ListsAllEdges => Edges.Count == TotalEdges;
    public long KeptEdgeCount => Edges.Count(e => e.Kept);
    public IEnumerable<string> KeptEdgeNames => Edges.Where(e => e.Kept).Select(e => e.Name);

    /// <summary>1 − kept / total.</summary>
    public double EdgeSparsity => TotalEdges == 0 ? 0 : 1 - (double)KeptEdgeCount / TotalEdges;

    /// <summary>Number of entries of <see cref="Nodes"/>, <c>logits</c> included.</summary>
    public int NodeCount => Nodes.Count;

    /// <summary>The same circuit listing only its kept edges (the compact form for very large graphs).</summary>
    public Circuit KeptEdgesOnly() => this with { Edges = Edges.Where(e => e.Kept).ToArray() };

    /// <summary>Kept flags as a dense per-reader array over <paramref name="graph"/>; unlisted edges are not kept.</summary>
    public bool[][] KeptMatrix(EdgeGraph graph)
    {
        var index = new GraphEdgeIndex(graph);
        var kept = NewMatrix<bool>(graph);
        foreach (var e in Edges)
        {
            if (!index.TryFind(e.Name, out int r, out int w))
                throw new CircuitFormatException($"edge '{e.Name}' is not an edge of the graph of model '{Model.Id}'");
            kept[r][w] = e.Kept;
        }
        return kept;
    }

    /// <summary>Mask values as a dense per-reader array over <paramref name="graph"/>; unlisted edges read 0.</summary>
    public double[][] MaskMatrix(EdgeGraph graph)
    {
        var index = new GraphEdgeIndex(graph);
        var masks = NewMatrix<double>(graph);
        foreach (var e in Edges)
        {
            if (!index.TryFind(e.Name, out int r, out int w))
                throw new CircuitFormatException($"edge '{e.Name}' is not an edge of the graph of model '{Model.Id}'");
            masks[r][w] = e.Mask;
        }
        return masks;
    }

    internal static T[][] NewMatrix<T>(EdgeGraph graph)
    {
        var m = new T[graph.Readers.Count][];
        for (int r = 0; r < m.Length; r++) m[r] = new T[graph.Readers[r].VisibleWriters];
        return m;
    }
}
