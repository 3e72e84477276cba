using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// Starts Edge Pruning from attribution scores instead of log α ~ N(10, 0.01). The mapping uses ranks,
/// not score values, so that it does not depend on the metric's scale: with q_e ∈ [0, 1] the position of
/// edge e in the ascending order of |score| (q = 0 the weakest, 1 the strongest) and t the target edge
/// sparsity clamped to [0, 1],
/// <c>log α_e = A · tanh((q_e − t) / w)</c>, A = <see cref="Amplitude"/>, w = <see cref="Width"/>.
/// Edges well inside the kept share start near +A (P(z = 0) = σ(−1.6 − A) ≈ 0.4% at A = 4), edges well
/// outside near −A (P(z = 0) ≈ 92%: mostly off, but not so far that the hard concrete's gradient never
/// reaches them again), and the ranks near the cut start near 0, where training decides.
/// </summary>
public static class WarmStart
{
    public const double Amplitude = 4.0;
    public const double Width = 0.05;

    public static void Apply(MaskState state, ReadOnlySpan<float> scores, double targetSparsity)
    {
        var logAlpha = state.EdgeLogAlpha;
        if (scores.Length != logAlpha.Length)
            throw new EdgePruningException($"{scores.Length} attribution scores for {logAlpha.Length} edge masks");
        var ranking = AttributionCircuit.Ranking(scores); // strongest first
        double t = Math.Clamp(targetSparsity, 0, 1);
        int n = ranking.Length;
        for (int i = 0; i < n; i++)
        {
            double q = n == 1 ? 1 : 1.0 - (double)i / (n - 1);
            logAlpha[ranking[i]] = (float)(Amplitude * Math.Tanh((q - t) / Width));
        }
    }
}
