using System.Text.Json.Nodes;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Cli;

/// <summary>The plain-text summary of a circuit: metrics, size, and the kept edges when they are few.</summary>
public static class CircuitReport
{
    public const int ListEdgesUpTo = 60;

    /// <summary>The summary as the <c>--json</c> result: counts, metrics, kept edges and where the circuit file is.</summary>
    public static JsonObject ToJson(Circuit circuit, string? path)
    {
        var kept = new JsonArray();
        foreach (var e in circuit.Edges.Where(e => e.Kept)) kept.Add((JsonNode)new JsonObject { ["name"] = e.Name, ["mask"] = CommandOutput.Number(e.Mask) });
        return new JsonObject
        {
            ["circuit"] = path,
            ["task"] = circuit.Task,
            ["ablation"] = circuit.Ablation,
            ["kept_edges"] = circuit.KeptEdgeCount,
            ["total_edges"] = circuit.TotalEdges,
            ["edge_sparsity"] = CommandOutput.Number(circuit.EdgeSparsity),
            ["nodes"] = new JsonArray([.. circuit.Nodes.Select(n => (JsonNode?)n)]),
            ["metrics"] = CommandOutput.Numbers(circuit.Metrics),
            ["wall_time_seconds"] = circuit.WallTimeSeconds is { } s ? CommandOutput.Number(s) : null,
            ["edges"] = kept,
        };
    }

    /// <summary>One metric a line, names in a column wide enough for the longest (logit_diff_full) and a space.</summary>
    public static void PrintMetrics(TextWriter o, IReadOnlyDictionary<string, double> metrics)
    {
        int width = Math.Max(15, metrics.Keys.Select(k => k.Length + 1).DefaultIfEmpty(0).Max());
        foreach (var (name, value) in metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"{name.PadRight(width)}{value:G6}");
    }

    public static void Print(TextWriter o, Circuit circuit)
    {
        var kept = circuit.Edges.Where(e => e.Kept).ToArray();
        o.WriteLine($"task           {circuit.Task}");
        o.WriteLine($"ablation       {circuit.Ablation}");
        o.WriteLine($"edges kept     {kept.Length:N0} of {circuit.TotalEdges:N0} (sparsity {1.0 - (double)kept.Length / circuit.TotalEdges:P2})");
        // Counted as the viewer draws them (the ends of the kept edges), so the two agree.
        o.WriteLine($"nodes          {View.CircuitPage.NodeCount(circuit.KeptEdgeNames)}");
        PrintMetrics(o, circuit.Metrics);
        if (circuit.WallTimeSeconds is { } s) o.WriteLine($"wall time      {s:F1} s");
        if (kept.Length <= ListEdgesUpTo)
            o.WriteLine("edges          " + string.Join(", ", kept.Select(e => e.Name)));
    }
}
