using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Where each reader's edge masks sit in one flat array of <see cref="EdgeGraph.EdgeCount"/> entries:
/// reader-major in graph order, reader r holding its <see cref="GraphReader.VisibleWriters"/> entries.
/// The attention readers of a layer all see the same writers, so their masks form one dense
/// [readers × writers] block: the per-layer masked read is a single matrix product.
/// </summary>
public sealed class MaskLayout
{
    private readonly long[] _offsets;

    public MaskLayout(EdgeGraph graph)
    {
        Graph = graph;
        _offsets = new long[graph.Readers.Count + 1];
        for (int r = 0; r < graph.Readers.Count; r++) _offsets[r + 1] = _offsets[r] + graph.Readers[r].VisibleWriters;
        AttentionReaders = EdgeGraph.QkvReadersPerLayer(graph.Config);
    }

    public EdgeGraph Graph { get; }
    public long EdgeCount => _offsets[^1];
    /// <summary>Q, K and V readers per layer (ρ).</summary>
    public int AttentionReaders { get; }

    public long Offset(int reader) => _offsets[reader];

    /// <summary>Index of the first attention reader (the Q input of head 0) of a layer.</summary>
    public int FirstAttentionReader(int layer) => layer * (AttentionReaders + 1);

    public int MlpReader(int layer) => layer * (AttentionReaders + 1) + AttentionReaders;

    public int LogitsReader => Graph.Readers.Count - 1;

    /// <summary>Writers visible to the attention readers of a layer.</summary>
    public int AttentionVisible(int layer) => Graph.Readers[FirstAttentionReader(layer)].VisibleWriters;

    /// <summary>Index of the reader owning flat mask entry <paramref name="edge"/> and the writer it reads.</summary>
    public (int Reader, int Writer) Locate(long edge)
    {
        int lo = 0, hi = _offsets.Length - 2;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_offsets[mid] <= edge) lo = mid; else hi = mid - 1;
        }
        return (lo, (int)(edge - _offsets[lo]));
    }

    public string EdgeName(long edge)
    {
        var (r, w) = Locate(edge);
        return Graph.Writers[w] + "->" + Graph.Readers[r].Name;
    }
}
