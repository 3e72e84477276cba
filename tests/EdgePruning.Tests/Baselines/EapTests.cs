using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Baselines;

public class EapTests
{
    /// <summary>Central differences in float32 on a model of O(1) activations: agreement to ~1e-3 relative.</summary>
    private const double FiniteDifferenceTolerance = 2e-3;

    private static double Metric(CircuitScorer scorer, Tensor z) => scorer.Score(z).Metric;

    [Fact]
    public void EapScores_EqualFiniteDifferenceAttribution()
    {
        var pruner = ToyTasks.Pruner();
        var batches = new TaskBatches(pruner, pruner.Task.Test, 4);
        var scorer = new CircuitScorer(batches);
        var scores = Eap.Scores(batches);
        int E = scores.Length;
        const float h = 1e-2f;
        double scale = scores.Max(s => Math.Abs(s));
        Assert.True(scale > 1e-3, "the toy task's attributions are all zero");
        foreach (int e in Enumerable.Range(0, E).Where(i => i % 7 == 0))
        {
            var up = Tensor.Zeros(E); up.Fill(1); up.Span[e] = 1 + h;
            var down = Tensor.Zeros(E); down.Fill(1); down.Span[e] = 1 - h;
            double fd = (Metric(scorer, up) - Metric(scorer, down)) / (2 * h);
            Assert.True(Math.Abs(fd - scores[e]) <= FiniteDifferenceTolerance * scale,
                $"edge {pruner.Model.Layout.EdgeName(e)}: EAP {scores[e]}, finite difference {fd}");
        }
    }

    [Fact]
    public void EapScore_OfAReadoutEdgeUnderZeroAblation_IsTheExactAblationEffect()
    {
        // Tracr-like models have no norms, so the logits are linear in the readout's edge masks and the
        // first-order attribution of a logits edge equals the effect of removing it.
        var config = RandomModels.TracrLike();
        var model = new EdgePruning.Models.Transformer(config, RandomModels.Weights(config, 5), EdgePruning.Kernels.Reference.ReferenceKernels.Instance);
        var masked = new EdgePruning.Pruning.Masking.EdgeMaskedModel(model, 2);
        var examples = Enumerable.Range(0, 4).Select(i => new EdgePruning.Pruning.Tasks.TaskExample
        {
            Clean = RandomModels.Tokens(4, config.VocabSize, seed: 30 + i),
            Corrupted = RandomModels.Tokens(4, config.VocabSize, seed: 40 + i),
            LossPositions = [3], MetricPosition = 3, Targets = [1], Distractors = [2],
        }).ToArray();
        var task = new EdgePruning.Pruning.Tasks.TaskDataset { Name = "linear", Train = examples, Validation = examples, Test = examples };
        var pruner = new EdgePruning.Pruning.Training.EdgePruner(masked, task,
            new EdgePruning.Pruning.Training.PruningOptions { Ablation = EdgePruning.Pruning.Training.Ablation.Zero, NodeMasks = false });
        var batches = new TaskBatches(pruner, examples, 4);
        var scorer = new CircuitScorer(batches);
        var scores = Eap.Scores(batches);
        var layout = masked.Layout;
        int E = scores.Length;
        var ones = Tensor.Zeros(E); ones.Fill(1);
        double full = Metric(scorer, ones);
        for (long e = layout.Offset(layout.LogitsReader); e < E; e++)
        {
            var z = Tensor.Zeros(E); z.Fill(1); z.Span[(int)e] = 0;
            Assert.Equal(full - Metric(scorer, z), scores[e], 1e-4);
        }
    }

    [Fact]
    public void EapIg_WithOneStep_IsEap()
    {
        var batches = new TaskBatches(ToyTasks.Pruner(), ToyTasks.Pruner().Task.Test, 4);
        Assert.Equal(Eap.Scores(batches), EapIg.Scores(batches, steps: 1));
    }

    [Fact]
    public void EapIg_ScoresSumToTheMetricChangeFromEmptyToFull()
    {
        // Completeness of integrated gradients along z = α·1: Σ_e ∫ dm/dz_e dα = m(1) − m(0); the right
        // Riemann sum with k steps is within O(1/k) of the integral.
        var pruner = ToyTasks.Pruner();
        var batches = new TaskBatches(pruner, pruner.Task.Test, 4);
        var scorer = new CircuitScorer(batches);
        double change = scorer.FullMetric - scorer.EmptyMetric;
        double sum40 = EapIg.Scores(batches, 40).Sum(s => (double)s);
        double sum5 = EapIg.Scores(batches, 5).Sum(s => (double)s);
        Assert.True(Math.Abs(sum40 - change) < 0.05 * Math.Abs(change) + 1e-3, $"Σ IG(40) = {sum40}, m(full) − m(∅) = {change}");
        Assert.True(Math.Abs(sum40 - change) <= Math.Abs(sum5 - change) + 1e-4, "more steps should not move the sum away from the change");
    }

    [Fact]
    public void TopN_KeepsTheHighestScoringEdges_WithoutDanglingOnes()
    {
        var pruner = ToyTasks.Pruner();
        var layout = pruner.Model.Layout;
        var scores = Eap.Scores(new TaskBatches(pruner, pruner.Task.Test, 4));
        foreach (int n in new[] { 1, 5, 20, 60 })
        {
            var kept = AttributionCircuit.TopN(layout, scores, n);
            long count = AttributionCircuit.Count(kept);
            Assert.True(count >= n, $"asked for {n}, got {count}");
            Assert.Equal(kept, AttributionCircuit.Pruned(layout, kept));
            var raw = AttributionCircuit.TopN(layout, scores, n, pruneDangling: false);
            Assert.Equal(n, AttributionCircuit.Count(raw));
            double weakestKept = Enumerable.Range(0, raw.Length).Where(i => raw[i]).Min(i => Math.Abs(scores[i]));
            double strongestLeft = Enumerable.Range(0, raw.Length).Where(i => !raw[i]).Max(i => Math.Abs(scores[i]));
            Assert.True(weakestKept >= strongestLeft);
        }
    }
}
