using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// EAP with integrated gradients (Hanna et al. 2024): the EAP gradient averaged along the path from the
/// corrupted to the clean run, which estimates the effect of ablating an edge better than the gradient at
/// the clean end alone. Here the path scales every edge mask together, z = α·1 for α = 1/k, 2/k, …, 1 (a
/// right Riemann sum), which interpolates every reader's input between its corrupted and clean values:
/// the "inputs" variant of EAP-IG, which is what the edge-masked formulation gives (the original variant
/// interpolates the input embeddings and lets the model run in between). With k = 1 it is EAP.
/// </summary>
public static class EapIg
{
    public const int DefaultSteps = 5;

    public static float[] Scores(TaskBatches batches, int steps = DefaultSteps)
    {
        if (steps < 1) throw new EdgePruningException($"EAP-IG needs at least one interpolation step, got {steps}");
        return Eap.Attribute(batches, Enumerable.Range(1, steps).Select(i => (double)i / steps).ToArray());
    }
}
