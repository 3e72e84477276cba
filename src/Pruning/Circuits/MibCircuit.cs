using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Export to and import from the circuit JSON of MIB (the Mechanistic Interpretability Benchmark, whose graphs
/// come from EAP-IG): <c>{"cfg": {"n_layers", "n_heads", "parallel_attn_mlp", "d_model"}, "nodes": {name: bool},
/// "edges": {"W-&gt;R": {"score": float, "in_graph": bool}}}</c>. MIB has one <c>input</c> node and per-head
/// query, key and value readers. What does not carry over exactly:
/// <list type="bullet">
/// <item>Split embeddings (e = 2): <c>tok_embeds</c> and <c>pos_embeds</c> become one <c>input</c>. An input edge is in
/// the graph when either is kept, with the score of larger magnitude; importing gives both the same flag and score.</item>
/// <item>No embedding nodes (e = 0): the unmasked embedding feeds every reader, so every input edge is exported in the
/// graph with score 1; importing into such a graph ignores input edges.</item>
/// <item>Grouped-query attention: a key/value edge of KV head G is written onto each query head of its group with the
/// same flag and score; importing keeps an edge when any head of the group has it, with the score of largest
/// magnitude. Our own exports therefore come back unchanged.</item>
/// <item>MIB's "nodes" are written from the circuit's node list; importing ignores them and derives nodes from the edges.
/// Task, metrics and hyperparameters are not part of the MIB format.</item>
/// </list>
/// </summary>
public static partial class MibCircuit
{
    public const string Input = "input";

    public static void Write(Circuit circuit, EdgeGraph graph, string path)
    {
        using var stream = File.Create(path);
        Write(circuit, graph, stream);
    }

    public static void Write(Circuit circuit, EdgeGraph graph, Stream stream)
    {
        var index = new GraphEdgeIndex(graph);
        var masks = circuit.MaskMatrix(graph);
        var kept = circuit.KeptMatrix(graph);
        var inCircuit = circuit.Nodes.ToHashSet(StringComparer.Ordinal);
        int L = graph.Config.Layers, H = graph.Config.Heads, e = graph.EmbeddingNodes;

        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteStartObject("cfg");
        json.WriteNumber("n_layers", L);
        json.WriteNumber("n_heads", H);
        json.WriteBoolean("parallel_attn_mlp", false);
        json.WriteNumber("d_model", graph.Config.ModelDim);
        json.WriteEndObject();

        json.WriteStartObject("nodes");
        bool inputInGraph = e == 0 || graph.Writers.Take(e).Any(inCircuit.Contains);
        json.WriteBoolean(Input, inputInGraph);
        for (int w = e; w < graph.Writers.Count; w++) json.WriteBoolean(graph.Writers[w], inCircuit.Contains(graph.Writers[w]));
        json.WriteBoolean("logits", inCircuit.Contains("logits"));
        json.WriteEndObject();

        json.WriteStartObject("edges");
        void Edge(string mibReader, int reader)
        {
            double score = 0;
            bool inGraph = e == 0;
            if (e == 0) score = 1;
            for (int w = 0; w < e; w++)
            {
                if (w == 0 || Math.Abs(masks[reader][w]) > Math.Abs(score)) score = masks[reader][w];
                inGraph |= kept[reader][w];
            }
            WriteEdge(json, Input, mibReader, score, inGraph);
            for (int w = e; w < graph.Readers[reader].VisibleWriters; w++)
                WriteEdge(json, graph.Writers[w], mibReader, masks[reader][w], kept[reader][w]);
        }
        for (int l = 0; l < L; l++)
        {
            for (int h = 0; h < H; h++)
            {
                var (q, k, v) = index.HeadReaders(l, h);
                Edge($"a{l}.h{h}<q>", q);
                Edge($"a{l}.h{h}<k>", k);
                Edge($"a{l}.h{h}<v>", v);
            }
            Edge($"m{l}", index.MlpReader(l));
        }
        Edge("logits", index.LogitsReader);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string Serialize(Circuit circuit, EdgeGraph graph)
    {
        using var stream = new MemoryStream();
        Write(circuit, graph, stream);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Reads an MIB circuit as a circuit over <paramref name="graph"/>, which must have MIB's layers and heads.</summary>
    public static Circuit Read(string path, EdgeGraph graph, string modelId = "")
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CircuitFormatException($"{path}: cannot read MIB circuit: {ex.Message}", ex);
        }
        return Parse(bytes, graph, path, modelId);
    }

    public static Circuit Read(Stream stream, EdgeGraph graph, string source = "MIB circuit", string modelId = "")
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.ToArray(), graph, source, modelId);
    }

    public static Circuit Parse(ReadOnlyMemory<byte> utf8, EdgeGraph graph, string source, string modelId = "")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8);
        }
        catch (JsonException ex)
        {
            throw new CircuitFormatException($"{source}: not valid JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("cfg", out var cfg) || cfg.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("edges", out var edges) || edges.ValueKind != JsonValueKind.Object)
                throw new CircuitFormatException($"{source}: not an MIB circuit: needs objects \"cfg\" and \"edges\"");
            CheckConfig(cfg, graph, source);
            var (masks, kept) = ReadEdges(edges, new GraphEdgeIndex(graph), source);
            return Circuit.FromMatrices(graph, masks, kept, modelId);
        }
    }

    private static void CheckConfig(JsonElement cfg, EdgeGraph graph, string source)
    {
        int Get(string name)
        {
            if (!cfg.TryGetProperty(name, out var p) || !p.TryGetInt32(out int n))
                throw new CircuitFormatException($"{source}: \"cfg\" lacks an integer \"{name}\"");
            return n;
        }
        int layers = Get("n_layers"), heads = Get("n_heads");
        if (layers != graph.Config.Layers || heads != graph.Config.Heads)
            throw new CircuitFormatException($"{source}: MIB circuit of {layers} layers and {heads} heads, the graph has {graph.Config.Layers} layers and {graph.Config.Heads} heads");
        if (cfg.TryGetProperty("d_model", out var d) && d.ValueKind == JsonValueKind.Number && d.GetInt32() != graph.Config.ModelDim)
            throw new CircuitFormatException($"{source}: MIB circuit of width {d.GetInt32()}, the graph has {graph.Config.ModelDim}");
        if (cfg.TryGetProperty("parallel_attn_mlp", out var p) && p.ValueKind == JsonValueKind.True)
            throw new CircuitFormatException($"{source}: MIB circuit of a parallel attention/MLP model; our graphs are sequential");
    }

    private static (double[][] Masks, bool[][] Kept) ReadEdges(JsonElement edges, GraphEdgeIndex index, string source)
    {
        var graph = index.Graph;
        var masks = Circuit.NewMatrix<double>(graph);
        var kept = Circuit.NewMatrix<bool>(graph);
        var seen = Circuit.NewMatrix<bool>(graph);
        int e = graph.EmbeddingNodes;
        foreach (var edge in edges.EnumerateObject())
        {
            int arrow = edge.Name.IndexOf(CircuitEdge.Arrow, StringComparison.Ordinal);
            if (arrow <= 0)
                throw new CircuitFormatException($"{source}: '{edge.Name}' is not an edge name of the form writer->reader");
            string writerName = edge.Name[..arrow], readerName = edge.Name[(arrow + CircuitEdge.Arrow.Length)..];
            int reader = Reader(readerName, index)
                ?? throw new CircuitFormatException($"{source}: edge '{edge.Name}': '{readerName}' is not a reader of this graph");
            (int from, int to) writers;
            if (writerName == Input) writers = (0, e);
            else if (index.TryWriter(writerName, out int w)) writers = (w, w + 1);
            else throw new CircuitFormatException($"{source}: edge '{edge.Name}': '{writerName}' is not a node of this graph");
            if (writers.to > graph.Readers[reader].VisibleWriters)
                throw new CircuitFormatException($"{source}: '{edge.Name}' is not an edge: {readerName} cannot read {writerName}");

            if (edge.Value.ValueKind != JsonValueKind.Object
                || !edge.Value.TryGetProperty("in_graph", out var inGraph) || inGraph.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new CircuitFormatException($"{source}: edge '{edge.Name}' needs {{\"score\": number or null, \"in_graph\": bool}}");
            double score = 0;
            if (edge.Value.TryGetProperty("score", out var s) && s.ValueKind != JsonValueKind.Null)
            {
                if (s.ValueKind != JsonValueKind.Number || !double.IsFinite(score = s.GetDouble()))
                    throw new CircuitFormatException($"{source}: edge '{edge.Name}' has a score that is not a finite number");
            }

            for (int wi = writers.from; wi < writers.to; wi++)
            {
                if (!seen[reader][wi] || Math.Abs(score) > Math.Abs(masks[reader][wi])) masks[reader][wi] = score;
                kept[reader][wi] |= inGraph.GetBoolean();
                seen[reader][wi] = true;
            }
        }
        return (masks, kept);
    }

    /// <summary>Our reader for an MIB reader name: the same name, or under grouped attention the KV head's reader for a per-head key/value name.</summary>
    private static int? Reader(string name, GraphEdgeIndex index)
    {
        if (index.TryReader(name, out int r)) return r;
        var m = HeadKeyOrValue().Match(name);
        if (!m.Success) return null;
        if (!int.TryParse(m.Groups[1].ValueSpan, out int layer) || !int.TryParse(m.Groups[2].ValueSpan, out int head)
            || layer >= index.Graph.Config.Layers || head >= index.Graph.Config.Heads)
            return null;
        var (_, k, v) = index.HeadReaders(layer, head);
        return m.Groups[3].ValueSpan[0] == 'k' ? k : v;
    }

    private static void WriteEdge(Utf8JsonWriter json, string writer, string reader, double score, bool inGraph)
    {
        json.WriteStartObject(CircuitEdge.NameOf(writer, reader));
        json.WriteNumber("score", score);
        json.WriteBoolean("in_graph", inGraph);
        json.WriteEndObject();
    }

    [GeneratedRegex(@"^a(\d+)\.h(\d+)<([kv])>$")]
    private static partial Regex HeadKeyOrValue();
}
