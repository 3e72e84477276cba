using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Evaluation;

/// <summary>
/// The evaluation keeps the full model's logits and computes the circuits' only at each example's loss and metric rows;
/// its scores are those of logits at every position, scored as before.
/// </summary>
public class EvaluationRowsTests(ITestOutputHelper output)
{
    [Fact]
    public void CompactRows_ScoreCircuitsAsLogitsAtEveryPosition_WithMetricRowsBeyondTheLossRows()
    {
        // Metric rows among the loss rows for some examples, beyond them for others.
        var (pruner, examples) = ToyTask.Create(i => i % 3 == 0 ? [2, 3, 4, 5] : i % 3 == 1 ? [5] : [3], i => i % 3 == 2 ? 4 : 5);
        using var batches = new TaskBatches(pruner, examples, 4);

        foreach (var b in batches.Batches)
        {
            int expected = b.Examples.Sum(e => e.LossPositions.Length + (e.LossPositions.Contains(e.MetricPosition) ? 0 : 1));
            Assert.Equal(2, b.Full.Shape.Rank);
            Assert.Equal(expected, b.Full.Shape[0]);
            Assert.Equal(b.Examples.Sum(e => e.LossPositions.Length), b.Rows.LossRows);
        }
        var e = Assert.Throws<EdgePruningException>(() => batches.Batches[0].Rows.Row(0, 0));
        Assert.Contains("did not keep", e.Message);

        AssertScoresAsEveryPosition(batches, accuracy: true);
    }

    /// <summary>Tracr reverse (per-position KL, accuracy over the loss rows) and xproportion (the across-sequence loss: every row kept).</summary>
    [SharedTheory]
    [InlineData("reverse")]
    [InlineData("xproportion")]
    public void OnTheTracrModels_CompactRowsScoreAsLogitsAtEveryPosition(string program)
    {
        var job = PruningJob.Create(SharedData.Model("tracr", program + ".safetensors"), "tracr", CpuKernels.Instance, o => o);
        using var batches = new TaskBatches(job.Pruner, job.Task.Test.Take(24).ToArray(), 16);
        foreach (var b in batches.Batches)
            Assert.Equal(job.Task.Loss == TaskLoss.KlAcrossSequence ? 3 : 2, b.Full.Shape.Rank);
        AssertScoresAsEveryPosition(batches, accuracy: job.Task.Metric == TaskMetric.Accuracy);
    }

    /// <summary>Scores of the empty, full and two random circuits against the old way: logits [batch, T, outputs] at every position.</summary>
    private void AssertScoresAsEveryPosition(TaskBatches batches, bool accuracy)
    {
        var model = batches.Pruner.Model;
        var task = batches.Pruner.Task;
        int E = checked((int)model.EdgeCount);
        var scorer = new CircuitScorer(batches);
        using var grouped = new GroupedCircuitScorer(batches);
        var random = new Random(11);
        var circuits = new[]
        {
            new bool[E],
            Enumerable.Repeat(true, E).ToArray(),
            Enumerable.Range(0, E).Select(_ => random.NextDouble() < 0.5).ToArray(),
            Enumerable.Range(0, E).Select(_ => random.NextDouble() < 0.8).ToArray(),
        };
        var groupedKl = grouped.Kl(Stack(circuits));

        double fullMetric = 0;
        var fulls = batches.Batches.Select(b => model.Model.Forward(b.Clean, b.Size).Reshape(b.Size, b.Tokens, -1)).ToArray();
        for (int i = 0; i < fulls.Length; i++) fullMetric += CircuitMetric.Sum(task, batches.Batches[i].Examples, fulls[i], fulls[i]);
        Assert.Equal(fullMetric / batches.Count, scorer.FullMetric, 5);

        for (int c = 0; c < circuits.Length; c++)
        {
            var z = CircuitScorer.MaskTensor(circuits[c]);
            double kl = 0, metric = 0;
            var metrics = new TaskMetrics();
            for (int i = 0; i < fulls.Length; i++)
            {
                var b = batches.Batches[i];
                var logits = model.Forward(b.Clean, b.Size, b.Baseline, z).Logits;
                Assert.Equal(3, logits.Shape.Rank);
                kl += TaskObjective.Kl(task, b.Examples, fulls[i], logits, null) * b.Size;
                metric += CircuitMetric.Sum(task, b.Examples, fulls[i], logits);
                metrics.AddBatch(task, b.Examples, fulls[i], logits);
            }
            kl /= batches.Count;
            metric /= batches.Count;
            double fraction = accuracy ? metrics.Means()["accuracy"] : double.NaN;
            var score = scorer.Score(circuits[c], accuracy);
            output.WriteLine($"circuit {c}: kl {score.Kl:G9} (every position {kl:G9}, grouped {groupedKl[c]:G9}), metric {score.Metric:G9} ({metric:G9}), accuracy {score.Accuracy} ({fraction})");
            AssertClose(kl, score.Kl, $"circuit {c} KL");
            AssertClose(kl, groupedKl[c], $"circuit {c} grouped KL");
            AssertClose(metric, score.Metric, $"circuit {c} metric");
            Assert.Equal(fraction, score.Accuracy);
        }
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{what}: {actual:G9}, every position {expected:G9}");

    private static Tensor Stack(bool[][] circuits)
    {
        var t = Tensor.Zeros(circuits.Length, circuits[0].Length);
        var s = t.Span;
        for (int c = 0; c < circuits.Length; c++)
            for (int e = 0; e < circuits[c].Length; e++) s[c * circuits[c].Length + e] = circuits[c][e] ? 1f : 0f;
        return t;
    }
}
