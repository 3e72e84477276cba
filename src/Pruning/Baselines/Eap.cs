using EdgePruning.Autodiff;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// Edge Attribution Patching (Syed et al. 2023): the linear estimate of how much the task metric changes
/// when an edge is ablated. In the edge-masked model a reader's input is x_r = C_r + Σ_w z[r,w]·(y_w − ỹ_w),
/// so dm/dz[r,w] at z = 1 is ⟨y_w − ỹ_w, ∂m/∂x_r⟩, the gradient × activation difference of EAP: one forward
/// on the corrupted input (the baseline ỹ), one on the clean input with every mask 1, one backward. The
/// score is that derivative averaged over the examples; circuits rank edges by its magnitude.
/// </summary>
public static class Eap
{
    public static float[] Scores(TaskBatches batches) => Attribute(batches, [1.0]);

    /// <summary>dm/dz averaged over the examples and over the mask values <paramref name="alphas"/> (all masks equal to α).</summary>
    internal static float[] Attribute(TaskBatches batches, IReadOnlyList<double> alphas)
    {
        var model = batches.Pruner.Model;
        var task = batches.Pruner.Task;
        int E = checked((int)model.EdgeCount);
        var sum = new double[E];
        var z = Tensor.Zeros(E);
        foreach (double alpha in alphas)
        {
            z.Fill((float)alpha);
            foreach (var b in batches.Batches)
            {
                // On a device the metric's gradient is taken on the host, from the logits, and sent back for the backward.
                using var scope = model.OnDevice ? model.Backend.OpenScope() : null;
                var tape = new Tape();
                var pass = model.Forward(b.Clean, b.Size, b.Baseline, BackendCopies.ToModel(model, z, scope), null, tape, scope: scope);
                if (model.OnDevice)
                {
                    var logits = model.Backend.Download(pass.Logits);
                    var dLogits = Tensor.Zeros(logits.Shape.Dims.ToArray());
                    CircuitMetric.Gradient(task, b.Examples, logits, dLogits);
                    model.Backend.CopyFromHost(dLogits, pass.LogitsGrad);
                }
                else
                {
                    CircuitMetric.Gradient(task, b.Examples, pass.Logits, pass.LogitsGrad);
                }
                tape.Backward();
                var g = BackendCopies.ToHost(model.Backend, pass.EdgeGrad).Span;
                for (int e = 0; e < E; e++) sum[e] += g[e];
            }
        }
        double scale = 1.0 / ((double)batches.Count * alphas.Count);
        var scores = new float[E];
        for (int e = 0; e < E; e++) scores[e] = (float)(sum[e] * scale);
        return scores;
    }
}
