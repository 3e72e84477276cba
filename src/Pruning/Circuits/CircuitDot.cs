using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// Draws a circuit as Graphviz DOT, left to right: the embeddings in the first column, one column per layer
/// (its heads, its KV heads under grouped attention, its MLP), the logits last. Only kept edges are drawn;
/// the colour says which input an edge feeds (query green, key blue, value purple, MLP grey, logits black)
/// and the width grows with the mask value. Nodes are the ends of kept edges, so under grouped attention a
/// key/value edge ends at its KV head node (<c>a1.kv0</c>) rather than at every query head that shares it.
/// </summary>
public static partial class CircuitDot
{
    public const string QueryColor = "#2e7d32";
    public const string KeyColor = "#1565c0";
    public const string ValueColor = "#8e24aa";
    public const string MlpColor = "#757575";
    public const string LogitsColor = "#212121";

    private enum NodeKind { Embedding, Head, KvHead, Mlp, Logits }

    private readonly record struct DotNode(string Name, NodeKind Kind, int Layer, int Index);

    public static string ToDot(Circuit circuit, string? title = null)
    {
        var nodes = new Dictionary<string, DotNode>(StringComparer.Ordinal) { ["logits"] = new("logits", NodeKind.Logits, int.MaxValue, 0) };
        var edges = new List<(string From, string To, char Kind, double Mask, string Name)>();
        foreach (var e in circuit.Edges.Where(e => e.Kept))
        {
            var (writer, reader) = CircuitEdge.Split(e.Name);
            var from = Writer(writer);
            var (to, kind) = Reader(reader);
            nodes.TryAdd(from.Name, from);
            nodes.TryAdd(to.Name, to);
            edges.Add((from.Name, to.Name, kind, e.Mask, e.Name));
        }

        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("digraph circuit {");
        string name = title ?? circuit.Task;
        string caption = (name.Length > 0 ? name + ": " : "") + $"{edges.Count} of {circuit.TotalEdges} edges, {nodes.Count} nodes"
            + " (q green, k blue, v purple, mlp grey, logits black)";
        sb.AppendLine($"  graph [rankdir=LR, ranksep=1.2, nodesep=0.12, fontname=\"Helvetica\", labelloc=t, label={Quote(caption)}];");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=10, style=filled, color=\"#555555\"];");
        sb.AppendLine("  edge [arrowsize=0.5];");

        foreach (var rank in nodes.Values.GroupBy(n => n.Kind == NodeKind.Embedding ? -1 : n.Layer).OrderBy(g => g.Key))
        {
            sb.Append("  { rank=same;");
            foreach (var n in rank.OrderBy(n => n.Kind).ThenBy(n => n.Index))
                sb.Append(' ').Append(Quote(n.Name)).Append(' ').Append(Style(n.Kind)).Append(';');
            sb.AppendLine(" }");
        }

        foreach (var (from, to, kind, mask, edgeName) in edges)
        {
            string color = kind switch { 'q' => QueryColor, 'k' => KeyColor, 'v' => ValueColor, 'm' => MlpColor, _ => LogitsColor };
            double width = 0.5 + 3.5 * Math.Clamp(Math.Abs(mask), 0, 1);
            sb.Append("  ").Append(Quote(from)).Append(" -> ").Append(Quote(to))
              .Append(" [color=\"").Append(color).Append("\", penwidth=").Append(width.ToString("0.##", inv))
              .Append(", tooltip=").Append(Quote(edgeName)).AppendLine("];");
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    public static void Write(Circuit circuit, string path, string? title = null) => File.WriteAllText(path, ToDot(circuit, title));

    /// <summary>Runs Graphviz's <c>dot</c> on <paramref name="dotText"/>; throws when Graphviz is not installed or fails.</summary>
    public static void Render(string dotText, GraphvizFormat format, string outPath) =>
        Render(dotText, format, outPath, Environment.GetEnvironmentVariable("PATH"));

    internal static void Render(string dotText, GraphvizFormat format, string outPath, string? searchPath)
    {
        string dot = FindDot(searchPath)
            ?? throw new EdgePruningException("Graphviz is not installed (no 'dot' on PATH): install graphviz to render SVG/PNG, or export the circuit as .dot");
        var start = new ProcessStartInfo(dot)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-T" + format.ToString().ToLowerInvariant());
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add(outPath);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new EdgePruningException($"could not start Graphviz ({dot})");
        }
        catch (Win32Exception e)
        {
            throw new EdgePruningException($"could not start Graphviz ({dot}): {e.Message}", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            process.StandardInput.Write(dotText);
            process.StandardInput.Close();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string message = stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
                throw new EdgePruningException($"Graphviz dot failed with exit code {process.ExitCode}: {message}");
            }
            _ = stdout.Result;
        }
    }

    /// <summary>Full path of Graphviz's <c>dot</c> on <paramref name="searchPath"/> (PATH syntax), or null.</summary>
    internal static string? FindDot(string? searchPath)
    {
        if (string.IsNullOrEmpty(searchPath)) return null;
        string exe = OperatingSystem.IsWindows() ? "dot.exe" : "dot";
        foreach (var dir in searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir.Trim('"'), exe);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static bool GraphvizInstalled => FindDot(Environment.GetEnvironmentVariable("PATH")) is not null;

    private static DotNode Writer(string name)
    {
        if (name is "tok_embeds" or "pos_embeds" or MibCircuit.Input)
            return new(name, NodeKind.Embedding, -1, name == "pos_embeds" ? 1 : 0);
        if (HeadName().Match(name) is { Success: true } head)
            return new(name, NodeKind.Head, Number(head.Groups[1]), Number(head.Groups[2]));
        if (MlpName().Match(name) is { Success: true } mlp)
            return new(name, NodeKind.Mlp, Number(mlp.Groups[1]), 0);
        throw new CircuitFormatException($"'{name}' is not a writer name (tok_embeds, pos_embeds, input, a{{L}}.h{{H}}, m{{L}})");
    }

    private static (DotNode Node, char Kind) Reader(string name)
    {
        if (name == "logits") return (new("logits", NodeKind.Logits, int.MaxValue, 0), 'l');
        var m = ReaderName().Match(name);
        if (m.Success)
        {
            int layer = Number(m.Groups[1]), index = Number(m.Groups[3]);
            bool kv = m.Groups[2].ValueSpan is "kv";
            string node = $"a{layer}.{m.Groups[2].Value}{index}";
            return (new(node, kv ? NodeKind.KvHead : NodeKind.Head, layer, index), m.Groups[4].ValueSpan[0]);
        }
        if (MlpName().Match(name) is { Success: true } mlp)
            return (new(name, NodeKind.Mlp, Number(mlp.Groups[1]), 0), 'm');
        throw new CircuitFormatException($"'{name}' is not a reader name (a{{L}}.h{{H}}<q|k|v>, a{{L}}.kv{{G}}<k|v>, m{{L}}, logits)");
    }

    private static string Style(NodeKind kind) => kind switch
    {
        NodeKind.Embedding => "[shape=box, fillcolor=\"#fff2cc\"]",
        NodeKind.Head => "[shape=ellipse, fillcolor=\"#dae8fc\"]",
        NodeKind.KvHead => "[shape=ellipse, fillcolor=\"#e8eef7\", style=\"filled,dashed\"]",
        NodeKind.Mlp => "[shape=box, fillcolor=\"#e1d5e7\"]",
        _ => "[shape=doubleoctagon, fillcolor=\"#f8cecc\"]",
    };

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static int Number(Group g) => int.TryParse(g.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
        ? n : throw new CircuitFormatException($"layer or head number '{g.Value}' is out of range");

    [GeneratedRegex(@"^a(\d+)\.h(\d+)$")]
    private static partial Regex HeadName();

    [GeneratedRegex(@"^m(\d+)$")]
    private static partial Regex MlpName();

    [GeneratedRegex(@"^a(\d+)\.(h|kv)(\d+)<([qkv])>$")]
    private static partial Regex ReaderName();
}
