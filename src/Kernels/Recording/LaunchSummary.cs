namespace EdgePruning.Kernels.Recording;

/// <summary>What a <see cref="LaunchGraph"/> does: how many launches, of which families and kinds, and its matrix-product work.</summary>
/// <param name="Launches">Every launch of the graph.</param>
/// <param name="ByFamily">Launches per kernel set, in <see cref="KernelFamily"/> order; a family with no launch is absent.</param>
/// <param name="ByKind">Launches per <see cref="KernelLaunch.Name"/> ("Linear", "Gradients.Fill", …), ordered by name.</param>
/// <param name="GemmFlops">2·m·n·k summed over the launches that compute a matrix product (<see cref="KernelLaunch.Flops"/>).</param>
public sealed record LaunchSummary(int Launches, IReadOnlyDictionary<KernelFamily, int> ByFamily, IReadOnlyDictionary<string, int> ByKind,
    double GemmFlops)
{
    /// <summary>One line: "1234 launches (Kernels 900, Gradients 334; Gemm 100, Gradients.Fill 20, Linear 72, …), 12.3 GFLOP in GEMMs".</summary>
    public override string ToString() =>
        $"{Launches} launches ({string.Join(", ", ByFamily.Select(kv => $"{kv.Key} {kv.Value}"))}; " +
        $"{string.Join(", ", ByKind.Select(kv => $"{kv.Key} {kv.Value}"))}), {GemmFlops / 1e9:F3} GFLOP in GEMMs";
}
