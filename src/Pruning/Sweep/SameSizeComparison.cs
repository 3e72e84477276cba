namespace EdgePruning.Pruning.Sweep;

/// <summary>One Edge Pruning circuit against the best baseline circuit of exactly its edge count (none: no baseline has that size).</summary>
public sealed record SameSizeRow(string Method, string Setting, long Edges, double Kl, string? Baseline, double BaselineKl)
{
    /// <summary>Whether the circuit's KL is at or below the best baseline's (false where there is none to compare with).</summary>
    public bool AtOrBelow => Baseline is not null && Kl <= BaselineKl;
}

/// <summary>
/// The paper's comparison, at equal size: each Edge Pruning point (ep, ep-ig) against the lowest KL among the baseline
/// methods' (EAP, EAP-IG, ACDC) circuits with the same number of edges, or asked for that number: an attribution
/// circuit drops its dangling edges and so cannot hit every count, and its top N then holds the fewest edges above N
/// (a size in the baseline's favour). Read out where training ended (<see cref="SweepReadout.Reached"/>) every Edge
/// Pruning size has EAP and EAP-IG points; ACDC counts where its size matches.
/// </summary>
public static class SameSizeComparison
{
    public static IReadOnlyList<SameSizeRow> Rows(SweepResult result)
    {
        var baselines = result.Methods.Where(m => !SweepOptions.IsEdgePruning(m.Method)).SelectMany(m => m.Points).ToArray();
        return result.Methods.Where(m => SweepOptions.IsEdgePruning(m.Method)).SelectMany(m => m.Points).OrderBy(p => p.Method).ThenBy(p => p.Edges)
            .Select(p =>
            {
                string asked = $"N={p.Edges}";
                var best = baselines.Where(b => (b.Edges == p.Edges || b.Setting == asked) && double.IsFinite(b.Kl)).MinBy(b => b.Kl);
                return new SameSizeRow(p.Method, p.Setting, p.Edges, p.Kl, best?.Method, best?.Kl ?? double.NaN);
            })
            .ToArray();
    }
}
