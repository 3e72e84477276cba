using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Cli;

/// <summary>The plain-text summary of a circuit: metrics, size, and the kept edges when they are few.</summary>
public static class CircuitReport
{
    public const int ListEdgesUpTo = 60;

    public static void Print(TextWriter o, Circuit circuit)
    {
        var kept = circuit.Edges.Where(e => e.Kept).ToArray();
        o.WriteLine($"task           {circuit.Task}");
        o.WriteLine($"ablation       {circuit.Ablation}");
        o.WriteLine($"edges kept     {kept.Length:N0} of {circuit.TotalEdges:N0} (sparsity {1.0 - (double)kept.Length / circuit.TotalEdges:P2})");
        o.WriteLine($"nodes          {circuit.Nodes.Count}");
        foreach (var (name, value) in circuit.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            o.WriteLine($"{name,-15}{value:G6}");
        if (circuit.WallTimeSeconds is { } s) o.WriteLine($"wall time      {s:F1} s");
        if (kept.Length <= ListEdgesUpTo)
            o.WriteLine("edges          " + string.Join(", ", kept.Select(e => e.Name)));
    }
}
