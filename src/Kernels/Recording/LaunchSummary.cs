namespace EdgePruning.Kernels.Recording;

/// <summary>What a <see cref="LaunchGraph"/> does: how many launches, of which kinds, and its GEMM work.</summary>
/// <param name="Launches">Every launch of the graph.</param>
/// <param name="ByKind">Launches per <see cref="IKernels"/> method, ordered by name.</param>
/// <param name="GemmFlops">2·m·n·k summed over the Gemm and Linear launches.</param>
public sealed record LaunchSummary(int Launches, IReadOnlyDictionary<string, int> ByKind, double GemmFlops)
{
    /// <summary>One line: "1234 launches (Gemm 100, Linear 72, …), 12.3 GFLOP in GEMMs".</summary>
    public override string ToString() =>
        $"{Launches} launches ({string.Join(", ", ByKind.Select(kv => $"{kv.Key} {kv.Value}"))}), {GemmFlops / 1e9:F3} GFLOP in GEMMs";
}
