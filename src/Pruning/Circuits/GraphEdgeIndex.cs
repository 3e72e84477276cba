using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Looks up MIB-style edge names in one <see cref="EdgeGraph"/> and maps readers onto the nodes they feed.
/// Edges are addressed as (reader, writer) with writer &lt; the reader's <see cref="GraphReader.VisibleWriters"/>.
/// </summary>
public sealed class GraphEdgeIndex
{
    private readonly Dictionary<string, int> _writers;
    private readonly Dictionary<string, int> _readers;

    public GraphEdgeIndex(EdgeGraph graph)
    {
        Graph = graph;
        _writers = new Dictionary<string, int>(graph.Writers.Count, StringComparer.Ordinal);
        for (int w = 0; w < graph.Writers.Count; w++) _writers.Add(graph.Writers[w], w);
        _readers = new Dictionary<string, int>(graph.Readers.Count, StringComparer.Ordinal);
        for (int r = 0; r < graph.Readers.Count; r++) _readers.Add(graph.Readers[r].Name, r);
    }

    public EdgeGraph Graph { get; }

    public int HeadsPerKvHead => Graph.Config.Heads / Graph.Config.EffectiveKvHeads;
    public bool Grouped => Graph.Config.EffectiveKvHeads != Graph.Config.Heads;

    public string Name(int reader, int writer) => CircuitEdge.NameOf(Graph.Writers[writer], Graph.Readers[reader].Name);

    public bool TryWriter(string name, out int writer) => _writers.TryGetValue(name, out writer);
    public bool TryReader(string name, out int reader) => _readers.TryGetValue(name, out reader);

    /// <summary>Finds an edge by name; false when either end is unknown or the reader cannot see the writer.</summary>
    public bool TryFind(string edge, out int reader, out int writer)
    {
        reader = writer = -1;
        int at = edge.IndexOf(CircuitEdge.Arrow, StringComparison.Ordinal);
        if (at <= 0) return false;
        var span = edge.AsSpan();
        var writers = _writers.GetAlternateLookup<ReadOnlySpan<char>>();
        var readers = _readers.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!writers.TryGetValue(span[..at], out writer) || !readers.TryGetValue(span[(at + CircuitEdge.Arrow.Length)..], out reader))
            return false;
        return writer < Graph.Readers[reader].VisibleWriters;
    }

    /// <summary>
    /// Writer indices of the nodes a reader feeds: the head for a query reader (and for key/value readers
    /// without grouping), every query head of the group for a grouped key/value reader, the MLP for an MLP
    /// reader, none for the logits.
    /// </summary>
    public IEnumerable<int> FedNodes(int reader)
    {
        var r = Graph.Readers[reader];
        switch (r.Kind)
        {
            case ReaderKind.Query:
                yield return Graph.HeadWriter(r.Layer, r.Index);
                break;
            case ReaderKind.Key or ReaderKind.Value:
                int group = HeadsPerKvHead;
                for (int h = r.Index * group; h < (r.Index + 1) * group; h++) yield return Graph.HeadWriter(r.Layer, h);
                break;
            case ReaderKind.Mlp:
                yield return Graph.MlpWriter(r.Layer);
                break;
        }
    }

    /// <summary>Readers whose input makes up head <paramref name="head"/> of <paramref name="layer"/>: its query, its (KV head's) key and value.</summary>
    public (int Query, int Key, int Value) HeadReaders(int layer, int head)
    {
        int kv = Graph.Config.EffectiveKvHeads, first = layer * (Graph.Config.Heads + 2 * kv + 1);
        int group = head / HeadsPerKvHead;
        return (first + head, first + Graph.Config.Heads + group, first + Graph.Config.Heads + kv + group);
    }

    public int MlpReader(int layer) => (layer + 1) * (Graph.Config.Heads + 2 * Graph.Config.EffectiveKvHeads + 1) - 1;

    public int LogitsReader => Graph.Readers.Count - 1;
}
