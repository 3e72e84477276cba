using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Reads and writes <c>circuit.json</c>: a header (format, version, model, task, hyperparameters, metrics,
/// counts, nodes) followed by the edge list, one edge per line. Reading checks the format and version first,
/// then that every edge belongs to the graph (the one given, or else the one the model block describes).
/// </summary>
public static class CircuitJson
{
    public const string Format = "edgeprune-circuit";
    public const int CurrentVersion = 1;

    private static readonly CircuitJsonContext Context = new(new JsonSerializerOptions(CircuitJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Writes every edge, or with <paramref name="keptEdgesOnly"/> only the kept ones plus the total count.</summary>
    public static void Write(Circuit circuit, string path, bool keptEdgesOnly = false)
    {
        using var stream = File.Create(path);
        Write(circuit, stream, keptEdgesOnly);
    }

    public static void Write(Circuit circuit, Stream stream, bool keptEdgesOnly = false)
    {
        // A circuit read from a kept-only file cannot list all edges again; it stays kept-only.
        bool all = circuit.ListsAllEdges && !keptEdgesOnly;
        var doc = new CircuitDocument
        {
            Format = Format,
            FormatVersion = CurrentVersion,
            Model = circuit.Model,
            Task = circuit.Task,
            Ablation = circuit.Ablation,
            Hyperparameters = new Dictionary<string, JsonNode?>(circuit.Hyperparameters),
            Seed = circuit.Seed,
            Metrics = new Dictionary<string, double>(circuit.Metrics),
            TotalEdges = circuit.TotalEdges,
            KeptEdges = circuit.KeptEdgeCount,
            EdgeSparsity = circuit.EdgeSparsity,
            NodeCount = circuit.NodeCount,
            Nodes = [.. circuit.Nodes],
            WallTimeSeconds = circuit.WallTimeSeconds,
            Shortfalls = circuit.Shortfalls.Count > 0 ? [.. circuit.Shortfalls] : null,
            Device = circuit.Device,
            Created = circuit.Created,
            EdgesListed = all ? "all" : "kept",
        };

        // The header goes through the serializer; the edge list is appended by hand after its closing brace
        // is cut off, because Utf8JsonWriter cannot put one compact object per line inside an indented array.
        var header = JsonSerializer.SerializeToUtf8Bytes(doc, Context.CircuitDocument).AsSpan().TrimEnd(" \r\n"u8);
        var output = new BufferedStream(stream, 1 << 16);
        output.Write(header[..^1].TrimEnd(" \r\n"u8));
        output.Write(",\n  \"edges\": ["u8);
        bool first = true;
        foreach (var edge in circuit.Edges)
        {
            if (!all && !edge.Kept) continue;
            output.Write(first ? "\n    "u8 : ",\n    "u8);
            CircuitEdgeJsonConverter.WriteLine(output, edge);
            first = false;
        }
        output.Write(first ? "]\n}\n"u8 : "\n  ]\n}\n"u8);
        output.Flush();
    }

    public static string Serialize(Circuit circuit, bool keptEdgesOnly = false)
    {
        using var stream = new MemoryStream();
        Write(circuit, stream, keptEdgesOnly);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Reads a circuit file; with <paramref name="graph"/>, also checks that the circuit belongs to it.</summary>
    public static Circuit Read(string path, EdgeGraph? graph = null)
    {
        if (!File.Exists(path)) throw new CircuitFormatException($"{path}: file not found");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CircuitFormatException($"{path}: cannot read circuit file: {e.Message}", e);
        }
        return Parse(bytes, path, graph);
    }

    public static Circuit Read(Stream stream, EdgeGraph? graph = null, string source = "circuit")
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Parse(copy.ToArray(), source, graph);
    }

    public static Circuit Parse(ReadOnlySpan<byte> utf8, string source, EdgeGraph? graph = null)
    {
        CheckHeader(utf8, source);
        CircuitDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(utf8, Context.CircuitDocument);
        }
        catch (JsonException e)
        {
            throw new CircuitFormatException($"{source}: corrupt circuit file: {e.Message}", e);
        }
        if (doc is null) throw new CircuitFormatException($"{source}: the circuit file holds null");
        return ToCircuit(doc, source, graph);
    }

    /// <summary>Finds the top-level <c>format</c> and <c>format_version</c> before the body is interpreted, so that a newer or foreign file fails with a message that says so.</summary>
    private static void CheckHeader(ReadOnlySpan<byte> utf8, string source)
    {
        string? format = null;
        JsonElement? version = null;
        bool looksLikeMib = false;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new CircuitFormatException($"{source}: not a circuit file: the JSON is not an object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("format"u8))
                {
                    reader.Read();
                    format = reader.TokenType == JsonTokenType.String ? reader.GetString() : "(not a string)";
                }
                else if (reader.ValueTextEquals("format_version"u8))
                {
                    reader.Read();
                    version = JsonElement.ParseValue(ref reader);
                }
                else
                {
                    looksLikeMib |= reader.ValueTextEquals("cfg"u8);
                    reader.Read();
                    reader.Skip();
                }
                if (format is not null && version is not null) break;
            }
        }
        catch (JsonException e)
        {
            throw new CircuitFormatException($"{source}: not valid JSON: {e.Message}", e);
        }

        if (format is null)
            throw new CircuitFormatException(looksLikeMib
                ? $"{source}: this is an MIB circuit (it has \"cfg\"), not an {Format} file; import it as MIB"
                : $"{source}: not a circuit file: no \"format\": \"{Format}\"");
        if (format != Format)
            throw new CircuitFormatException($"{source}: unknown format '{format}', expected '{Format}'");
        if (version is not { ValueKind: JsonValueKind.Number } v || !v.TryGetInt32(out int n))
            throw new CircuitFormatException($"{source}: missing or non-integer \"format_version\"");
        if (n < 1 || n > CurrentVersion)
            throw new CircuitFormatException($"{source}: circuit format version {n} is not supported (this program reads version 1 to {CurrentVersion})");
    }

    private static Circuit ToCircuit(CircuitDocument doc, string source, EdgeGraph? graph)
    {
        if (doc.Model is null) throw new CircuitFormatException($"{source}: the circuit has no \"model\"");
        if (doc.Edges is null) throw new CircuitFormatException($"{source}: the circuit has no \"edges\"");
        var edges = doc.Edges;
        bool all = doc.EdgesListed switch
        {
            "all" => true,
            "kept" => false,
            _ => throw new CircuitFormatException($"{source}: \"edges_listed\" is '{doc.EdgesListed}', expected 'all' or 'kept'"),
        };
        if (all && edges.Count != doc.TotalEdges)
            throw new CircuitFormatException($"{source}: lists {edges.Count} edges as all edges, but \"total_edges\" is {doc.TotalEdges}");
        if (edges.Count > doc.TotalEdges)
            throw new CircuitFormatException($"{source}: lists {edges.Count} edges, more than \"total_edges\" {doc.TotalEdges}");
        if (!all && edges.FirstOrDefault(e => !e.Kept) is { Name: not null } unkept)
            throw new CircuitFormatException($"{source}: lists kept edges only, but edge '{unkept.Name}' is not kept");

        if (graph is not null && !doc.Model.Matches(graph))
            throw new CircuitFormatException(
                $"{source}: circuit of a {doc.Model.Family} model with {doc.Model.Layers} layers, {doc.Model.Heads} heads, {doc.Model.KvHeads} kv heads, dim {doc.Model.ModelDim}, {doc.Model.EmbeddingNodes} embedding nodes does not fit the given graph ({graph.Config.Layers} layers, {graph.Config.Heads} heads, {graph.Config.EffectiveKvHeads} kv heads, dim {graph.Config.ModelDim}, {graph.EmbeddingNodes} embedding nodes)");
        var index = new GraphEdgeIndex(graph ?? doc.Model.ToGraph());
        if (doc.TotalEdges != index.Graph.EdgeCount)
            throw new CircuitFormatException($"{source}: \"total_edges\" is {doc.TotalEdges}, the model's graph has {index.Graph.EdgeCount}");
        var seen = new HashSet<string>(edges.Count, StringComparer.Ordinal);
        foreach (var e in edges)
        {
            if (!index.TryFind(e.Name, out _, out _))
                throw new CircuitFormatException($"{source}: edge '{e.Name}' is not an edge of the graph of model '{doc.Model.Id}'");
            if (!seen.Add(e.Name))
                throw new CircuitFormatException($"{source}: edge '{e.Name}' is listed twice");
            if (!double.IsFinite(e.Mask))
                throw new CircuitFormatException($"{source}: mask of edge '{e.Name}' is {e.Mask}");
        }

        return new Circuit
        {
            Model = doc.Model,
            Task = doc.Task ?? "",
            Ablation = doc.Ablation ?? "",
            Hyperparameters = doc.Hyperparameters ?? [],
            Seed = doc.Seed,
            Edges = edges,
            TotalEdges = doc.TotalEdges,
            Nodes = doc.Nodes ?? [],
            Metrics = doc.Metrics ?? [],
            WallTimeSeconds = doc.WallTimeSeconds,
            Shortfalls = doc.Shortfalls ?? [],
            Device = doc.Device,
            Created = doc.Created ?? default,
        };
    }
}

/// <summary>The file layout of <c>circuit.json</c>; counts and sparsity are written for readers and recomputed on load.</summary>
internal sealed class CircuitDocument
{
    public string? Format { get; set; }
    public int FormatVersion { get; set; }
    public CircuitModel? Model { get; set; }
    public string? Task { get; set; }
    public string? Ablation { get; set; }
    public Dictionary<string, JsonNode?>? Hyperparameters { get; set; }
    public long? Seed { get; set; }
    public Dictionary<string, double>? Metrics { get; set; }
    public long TotalEdges { get; set; }
    public long KeptEdges { get; set; }
    public double EdgeSparsity { get; set; }
    public int NodeCount { get; set; }
    public List<string>? Nodes { get; set; }
    public double? WallTimeSeconds { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<string>? Shortfalls { get; set; }
    public string? Device { get; set; }
    public DateTimeOffset? Created { get; set; }
    /// <summary><c>all</c> or <c>kept</c>.</summary>
    public string? EdgesListed { get; set; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<CircuitEdge>? Edges { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    Converters = [typeof(CircuitEdgeJsonConverter)])]
[JsonSerializable(typeof(CircuitDocument))]
internal sealed partial class CircuitJsonContext : JsonSerializerContext;
