using EdgePruning.Runtime;

namespace EdgePruning.Models.Graph;

/// <summary>
/// The Edge Pruning computational graph of a model, with MIB naming. Writers (in order): the embedding
/// nodes (<c>tok_embeds</c>, <c>pos_embeds</c>, or one <c>input</c> node when merged), then per layer
/// the heads <c>a{L}.h{H}</c> and the MLP <c>m{L}</c>. Readers per layer: each head's <c>&lt;q&gt;</c>,
/// the <c>&lt;k&gt;</c>/<c>&lt;v&gt;</c> inputs (per KV head <c>a{L}.kv{G}</c> under grouped-query attention),
/// the MLP input <c>m{L}</c>; last the readout <c>logits</c>. Attention readers of layer l see the
/// embeddings and every node of layers &lt; l; the MLP of layer l also sees that layer's heads.
/// </summary>
public sealed class EdgeGraph
{
    private readonly string[] _writers;
    private readonly GraphReader[] _readers;

    private EdgeGraph(TransformerConfig config, int embeddingNodes)
    {
        Config = config;
        EmbeddingNodes = embeddingNodes;
        int L = config.Layers, H = config.Heads, KV = config.EffectiveKvHeads;
        bool grouped = KV != H;

        var writers = new List<string>(WriterCount(config, embeddingNodes));
        writers.AddRange(EmbeddingNames(config, embeddingNodes));
        for (int l = 0; l < L; l++)
        {
            for (int h = 0; h < H; h++) writers.Add($"a{l}.h{h}");
            writers.Add($"m{l}");
        }
        _writers = writers.ToArray();

        var readers = new List<GraphReader>();
        for (int l = 0; l < L; l++)
        {
            int visible = embeddingNodes + l * (H + 1);
            for (int h = 0; h < H; h++) readers.Add(new($"a{l}.h{h}<q>", ReaderKind.Query, l, h, visible));
            string group = grouped ? "kv" : "h";
            for (int g = 0; g < KV; g++) readers.Add(new($"a{l}.{group}{g}<k>", ReaderKind.Key, l, g, visible));
            for (int g = 0; g < KV; g++) readers.Add(new($"a{l}.{group}{g}<v>", ReaderKind.Value, l, g, visible));
            readers.Add(new($"m{l}", ReaderKind.Mlp, l, 0, visible + H));
        }
        readers.Add(new("logits", ReaderKind.Logits, L, 0, _writers.Length));
        _readers = readers.ToArray();

        long edges = 0;
        foreach (var r in _readers) edges += r.VisibleWriters;
        EdgeCount = edges;
    }

    public TransformerConfig Config { get; }
    public int EmbeddingNodes { get; }
    public IReadOnlyList<string> Writers => _writers;
    public IReadOnlyList<GraphReader> Readers => _readers;
    public long EdgeCount { get; }

    /// <summary>Index of head <paramref name="head"/> of layer <paramref name="layer"/> among the writers.</summary>
    public int HeadWriter(int layer, int head) => EmbeddingNodes + layer * (Config.Heads + 1) + head;

    public int MlpWriter(int layer) => EmbeddingNodes + layer * (Config.Heads + 1) + Config.Heads;

    /// <summary>The graph with the family's usual embedding nodes (GPT-2 and Tracr: 2; Llama: 0).</summary>
    public static EdgeGraph For(TransformerConfig config) => For(config, DefaultEmbeddingNodes(config));

    public static EdgeGraph For(TransformerConfig config, int embeddingNodes)
    {
        CheckEmbeddingNodes(config, embeddingNodes);
        return new EdgeGraph(config, embeddingNodes);
    }

    public static int DefaultEmbeddingNodes(TransformerConfig config) => config.Family == ModelFamily.Llama ? 0 : 2;

    public static int WriterCount(TransformerConfig c, int embeddingNodes) => embeddingNodes + c.Layers * (c.Heads + 1);

    public static int ReaderCount(TransformerConfig c) => c.Layers * (QkvReadersPerLayer(c) + 1) + 1;

    /// <summary>ρ: 3H under multi-head attention, H + 2·KV under grouped-query attention.</summary>
    public static int QkvReadersPerLayer(TransformerConfig c) => c.Heads + 2 * c.EffectiveKvHeads;

    /// <summary>E = (ρ+1)·[L·e + (H+1)·L(L−1)/2] + L·H + e + L(H+1), without building the graph.</summary>
    public static long CountEdges(TransformerConfig c, int embeddingNodes)
    {
        CheckEmbeddingNodes(c, embeddingNodes);
        long L = c.Layers, H = c.Heads, e = embeddingNodes, rho = QkvReadersPerLayer(c);
        return (rho + 1) * (L * e + (H + 1) * L * (L - 1) / 2) + L * H + e + L * (H + 1);
    }

    private static IEnumerable<string> EmbeddingNames(TransformerConfig c, int e) => e switch
    {
        0 => [],
        1 => [c.LearnedPositions ? "input" : "tok_embeds"],
        _ => ["tok_embeds", "pos_embeds"],
    };

    private static void CheckEmbeddingNodes(TransformerConfig c, int e)
    {
        int max = c.LearnedPositions ? 2 : 1;
        if (e < 0 || e > max)
            throw new EdgePruningException($"{e} embedding nodes is not possible for this model: 0..{max} ({(c.LearnedPositions ? "token and position" : "token embeddings only")})");
    }
}
