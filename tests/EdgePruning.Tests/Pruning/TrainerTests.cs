using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

public class TrainerTests
{
    private static EdgePruner Pruner(int seed, Func<PruningOptions, PruningOptions>? tweak = null, bool poison = false)
    {
        var config = RandomModels.Gpt2Like();
        var weights = RandomModels.Weights(config, seed: 21);
        if (poison) weights.Layers[0].WUp.Span[3] = float.NaN;
        var model = new Transformer(config, weights, CpuKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        var examples = Enumerable.Range(0, 12).Select(i => new TaskExample
        {
            Clean = RandomModels.Tokens(6, config.VocabSize, seed: 100 + i),
            Corrupted = RandomModels.Tokens(6, config.VocabSize, seed: 200 + i),
            LossPositions = [4, 5],
            MetricPosition = 5,
            Targets = [1],
            Distractors = [2],
        }).ToArray();
        var task = new TaskDataset { Name = "random", Train = examples, Validation = examples, Test = examples };
        var options = new PruningOptions { Steps = 40, SparsityWarmupSteps = 30, LrWarmupSteps = 5, Batch = 4, Seed = seed, TargetEdgeSparsity = 0.9 };
        return new EdgePruner(masked, task, tweak is null ? options : tweak(options));
    }

    private static void Run(EdgePruner p, int steps)
    {
        for (int i = 0; i < steps; i++) p.Step();
    }

    /// <summary>
    /// Masks that start at log α = 0.5, where the hard concrete's sample is inside (0, 1) and the KL's gradient
    /// reaches every mask (at the default 10 the clamp passes almost none, so the batches and samples drawn would
    /// not matter to the result), and no sparsity pull, so what the masks learn comes from the KL of the batches.
    /// </summary>
    private static PruningOptions Moving(PruningOptions o) => o with { InitMean = 0.5, SparsityWarmupSteps = 0, TargetEdgeSparsity = 0 };

    [Fact]
    public void SameSeed_GivesIdenticalMasks_DifferentSeedDoesNot()
    {
        var a = Pruner(seed: 1, Moving); Run(a, 20);
        var b = Pruner(seed: 1, Moving); Run(b, 20);
        var c = Pruner(seed: 2, Moving); Run(c, 20);
        Assert.Equal(a.State.EdgeLogAlpha, b.State.EdgeLogAlpha);
        Assert.Equal(a.State.EdgeLambda, b.State.EdgeLambda);
        Assert.NotEqual(a.State.EdgeLogAlpha, c.State.EdgeLogAlpha);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void MicroBatches_AccumulateTheFullBatchGradient(int micro)
    {
        // Adam's first moment after one step is 0.1 × the (clipped) gradient: compare those. Masks start
        // near log α = 0.5 so that the hard concrete passes gradient (at 10 it is clamped to 1); no node
        // masks, whose sample could switch both embeddings off and with them every edge gradient.
        var full = Pruner(seed: 9, o => o with { Batch = 6, InitMean = 0.5, SparsityWarmupSteps = 0, NodeMasks = false });
        var split = Pruner(seed: 9, o => o with { Batch = 6, InitMean = 0.5, SparsityWarmupSteps = 0, NodeMasks = false, MicroBatch = micro });
        var a = full.Step();
        var b = split.Step();
        Assert.Equal(a.Kl, b.Kl, 1e-6);
        AssertClose(full.State.EdgeOptimizer.First, split.State.EdgeOptimizer.First);
        AssertClose(full.State.EdgeLambdaOptimizer.First, split.State.EdgeLambdaOptimizer.First);
    }

    private static double MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static void AssertClose(float[] expected, float[] actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++) { diff += Math.Pow(expected[i] - actual[i], 2); norm += Math.Pow(expected[i], 2); }
        Assert.True(norm > 0, "the gradient should not be zero");
        Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"relative difference {Math.Sqrt(diff / norm):E2}");
    }

    [Fact]
    public void ResumedRun_ContinuesExactlyLikeAnUninterruptedOne()
    {
        var straight = Pruner(seed: 3, Moving); Run(straight, 30);
        var first = Pruner(seed: 3, Moving); Run(first, 15);
        var path = Path.GetTempFileName();
        try
        {
            first.State.Save(path);
            // The masks did move in the second half, so the batches and samples drawn there decide the result.
            Assert.True(MaxDifference(first.State.EdgeLogAlpha, straight.State.EdgeLogAlpha) > 1e-2, "the masks did not move after step 15");
            var second = Pruner(seed: 3, Moving);
            second.State.Load(path);
            Assert.Equal(15, second.State.Step);
            Run(second, 15);
            Assert.Equal(straight.State.EdgeLogAlpha, second.State.EdgeLogAlpha);
            Assert.Equal(straight.State.NodeLogAlpha, second.State.NodeLogAlpha);
            Assert.Equal(straight.State.EdgeLambda, second.State.EdgeLambda);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Training_RaisesSparsityTowardsTarget()
    {
        // log α starts at 10, where the clamp of the hard concrete passes almost no gradient, so sparsity
        // only appears once the Lagrangian has pulled the masks down for a while.
        var p = Pruner(seed: 4, o => o with { Steps = 300, SparsityWarmupSteps = 200, LrWarmupSteps = 20 });
        StepReport last = default;
        for (int i = 0; i < 300; i++) last = p.Step();
        Assert.True(last.EdgeSparsity > 0.5, $"sparsity {last.EdgeSparsity} after 300 steps");
    }

    [Fact]
    public void OptimalConstantAblation_LearnsBaselinesFromTheMeanAndResumesExactly()
    {
        PruningOptions Optimal(PruningOptions o) => o with { Ablation = Ablation.OptimalConstant, ConstantLr = 0.05 };
        var straight = Pruner(seed: 8, Optimal);
        var start = (float[])straight.State.Constants.Clone();
        Assert.NotEmpty(start);
        Assert.Contains(start, v => v != 0);
        Run(straight, 20);
        Assert.NotEqual(start, straight.State.Constants);

        var first = Pruner(seed: 8, Optimal);
        Run(first, 10);
        var path = Path.GetTempFileName();
        try
        {
            first.State.Save(path);
            var second = Pruner(seed: 8, Optimal);
            second.State.Load(path);
            Run(second, 10);
            Assert.Equal(straight.State.Constants, second.State.Constants);
            Assert.Equal(straight.State.EdgeLogAlpha, second.State.EdgeLogAlpha);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NaNInTheLoss_StopsWithAClearErrorNamingTheStep()
    {
        var p = Pruner(seed: 5, poison: true);
        var ex = Assert.Throws<TrainingDivergedException>(() => p.Step());
        Assert.Contains("step 0", ex.Message);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(2.5)]
    public void TargetSparsityOutsideZeroToTwo_IsRejected(double target)
    {
        var ex = Assert.Throws<EdgePruningException>(() => Pruner(seed: 6, o => o with { TargetEdgeSparsity = target }));
        Assert.Contains("target sparsity", ex.Message);
    }

    [Fact]
    public void CheckpointOfAnotherGraph_IsRejected()
    {
        var p = Pruner(seed: 7);
        var path = Path.GetTempFileName();
        try
        {
            var other = new MaskState(10, 3, 0.01);
            other.Save(path);
            var ex = Assert.Throws<EdgePruningException>(() => p.State.Load(path));
            Assert.Contains("10 edges", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
