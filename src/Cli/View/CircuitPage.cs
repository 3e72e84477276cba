using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Cli.View;

/// <summary>
/// The circuit viewer: one HTML file holding the circuit's edges as JSON and our own script and style, so it
/// opens offline and can be mailed or archived as one file. Layers run left to right, heads and MLPs are
/// nodes, Q/K/V edges have their own colour and dash, width follows the mask value. With a second circuit
/// the page colours shared, only-A and only-B edges (the paper's instruction-vs-few-shot comparison).
/// </summary>
public sealed record CircuitPage(string Html, int Nodes, int Edges)
{
    public static CircuitPage Build(Circuit a, Circuit? b, string nameA, string? nameB)
    {
        var edges = new JsonArray();
        var maskA = a.Edges.Where(e => e.Kept).ToDictionary(e => e.Name, e => e.Mask, StringComparer.Ordinal);
        var maskB = b?.Edges.Where(e => e.Kept).ToDictionary(e => e.Name, e => e.Mask, StringComparer.Ordinal);
        var names = maskB is null ? maskA.Keys.ToList() : maskA.Keys.Concat(maskB.Keys.Where(k => !maskA.ContainsKey(k))).ToList();
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var (writer, reader) = CircuitEdge.Split(name);
            bool inA = maskA.TryGetValue(name, out double ma);
            double mb = 0;
            bool inB = maskB is not null && maskB.TryGetValue(name, out mb);
            var edge = new JsonObject
            {
                ["name"] = name,
                ["from"] = writer,
                ["to"] = reader,
                ["mask"] = Math.Max(inA ? ma : 0, inB ? mb : 0),
                ["side"] = maskB is null ? "a" : inA && inB ? "shared" : inA ? "a" : "b",
            };
            edges.Add((JsonNode)edge);
            nodes.Add(writer);
            nodes.Add(UnitOf(reader));
        }
        var data = new JsonObject
        {
            // One palette for the page and the DOT picture, so that both legends read the same.
            ["colours"] = new JsonObject
            {
                ["q"] = CircuitDot.QueryColor, ["k"] = CircuitDot.KeyColor, ["v"] = CircuitDot.ValueColor,
                ["m"] = CircuitDot.MlpColor, ["o"] = CircuitDot.LogitsColor,
            },
            ["a"] = Describe(a, nameA),
            ["b"] = b is null ? null : Describe(b, nameB ?? "B"),
            ["layers"] = a.Model.Layers,
            ["edges"] = edges,
        };
        // "</" must not end the script element early; \u003c is the same string to JSON.
        string json = data.ToJsonString().Replace("</", "\\u003c/", StringComparison.Ordinal);
        string title = b is null ? $"{nameA}: {a.Task} circuit" : $"{nameA} vs {nameB}";
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n");
        html.Append("<title>").Append(System.Net.WebUtility.HtmlEncode(title)).Append("</title>\n<style>\n").Append(Resource("viewer.css")).Append("</style>\n</head>\n<body>\n");
        html.Append("<script id=\"circuit-data\" type=\"application/json\">").Append(json).Append("</script>\n");
        html.Append("<script>\n").Append(Resource("viewer.js")).Append("</script>\n</body>\n</html>\n");
        return new CircuitPage(html.ToString(), nodes.Count, edges.Count);
    }

    /// <summary>
    /// The nodes the page draws for these edges: every writer and every node read into. prune's report
    /// counts nodes the same way, so that the two agree on one circuit.
    /// </summary>
    public static int NodeCount(IEnumerable<string> keptEdges)
    {
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in keptEdges)
        {
            var (writer, reader) = CircuitEdge.Split(name);
            nodes.Add(writer);
            nodes.Add(UnitOf(reader));
        }
        return nodes.Count;
    }

    /// <summary>
    /// Names for the two sides of a comparison: the file names, or, when those are the same (two
    /// runs/…/circuit.json), enough of each path to tell them apart.
    /// </summary>
    public static (string A, string B) SideNames(string pathA, string pathB)
    {
        string[] a = Path.GetFullPath(pathA).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        string[] b = Path.GetFullPath(pathB).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (int take = 1; take <= Math.Max(a.Length, b.Length); take++)
        {
            string na = string.Join('/', a.TakeLast(take)), nb = string.Join('/', b.TakeLast(take));
            if (na != nb) return (na, nb);
        }
        return (pathA, pathB + " (the same file)");
    }

    /// <summary>The node an edge reads into: <c>a1.h0&lt;q&gt;</c> is head <c>a1.h0</c>'s query.</summary>
    public static string UnitOf(string reader) => CircuitEdge.NodeOf(reader);

    private static JsonObject Describe(Circuit c, string name) => new()
    {
        ["name"] = name,
        ["task"] = c.Task,
        ["ablation"] = c.Ablation,
        ["model"] = c.Model.Id,
        ["kept_edges"] = c.KeptEdgeCount,
        ["total_edges"] = c.TotalEdges,
        ["metrics"] = CommandOutput.Numbers(c.Metrics),
    };

    private static string Resource(string name)
    {
        using var stream = typeof(CircuitPage).Assembly.GetManifestResourceStream("view/" + name)
            ?? throw new InvalidOperationException($"the viewer resource {name} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
