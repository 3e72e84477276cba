namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// How much two circuits of the same model share, as the paper compares its instruction-prompted and few-shot
/// CodeLlama circuits: the kept edges and the nodes in both, only in A and only in B, their Jaccard index, the
/// shared fraction of each, and how the shared edge count compares with chance (two random edge sets of the
/// same sizes share |A|·|B|/E edges on average). Nodes are the writers and the nodes read into that the kept
/// edges touch (<see cref="NodesOf"/>).
/// </summary>
public sealed record CircuitOverlap
{
    /// <summary>Kept edges: Shared, only in A (<see cref="CircuitComparison.Extra"/>), only in B (<see cref="CircuitComparison.Missing"/>).</summary>
    public required CircuitComparison Edges { get; init; }
    /// <summary>Nodes, split the same way.</summary>
    public required CircuitComparison Nodes { get; init; }
    /// <summary>Edges in the model's graph.</summary>
    public required long TotalEdges { get; init; }

    public int SharedEdges => Edges.Shared.Count;
    public int EdgesOnlyInA => Edges.Extra.Count;
    public int EdgesOnlyInB => Edges.Missing.Count;
    public int SharedNodes => Nodes.Shared.Count;
    public int NodesOnlyInA => Nodes.Extra.Count;
    public int NodesOnlyInB => Nodes.Missing.Count;

    /// <summary>Shared edges a random edge set of B's size would have with A, on average: |A|·|B| / E.</summary>
    public double ExpectedSharedEdges => TotalEdges == 0 ? 0 : (double)Edges.FoundCount * Edges.TruthCount / TotalEdges;

    /// <summary>Shared edges over <see cref="ExpectedSharedEdges"/>; NaN when either circuit is empty.</summary>
    public double TimesChance => ExpectedSharedEdges == 0 ? double.NaN : SharedEdges / ExpectedSharedEdges;

    public static CircuitOverlap Of(Circuit a, Circuit b)
    {
        var graph = a.Model.ToGraph();
        if (!b.Model.Matches(graph))
            throw new CircuitFormatException(
                $"the circuits were found in models of different shapes (A: {Shape(a.Model)}; B: {Shape(b.Model)}); only circuits of one graph can be compared");
        return new CircuitOverlap
        {
            Edges = CircuitComparison.Compare(a.KeptEdgeNames, b.KeptEdgeNames),
            Nodes = CircuitComparison.Compare(NodesOf(a), NodesOf(b)),
            TotalEdges = a.TotalEdges,
        };
    }

    /// <summary>
    /// The nodes <paramref name="circuit"/>'s kept edges touch (each edge's writer and the node it reads into), in
    /// edge order: the nodes prune's report and the viewer count.
    /// </summary>
    public static IReadOnlyList<string> NodesOf(Circuit circuit)
    {
        var nodes = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in circuit.KeptEdgeNames)
        {
            var (writer, reader) = CircuitEdge.Split(name);
            if (seen.Add(writer)) nodes.Add(writer);
            string node = CircuitEdge.NodeOf(reader);
            if (seen.Add(node)) nodes.Add(node);
        }
        return nodes;
    }

    private static string Shape(CircuitModel m) =>
        $"{m.Family}, {m.Layers} layers, {m.Heads} heads, {m.KvHeads} kv heads, dim {m.ModelDim}, {m.EmbeddingNodes} embedding nodes";
}
