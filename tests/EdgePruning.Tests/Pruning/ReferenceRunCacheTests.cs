using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// A host run keeps the full model's logits and the corrupted writer outputs of its training examples and assembles
/// later micro-batches from them; the masks it trains must be bit for bit those of a run that computes both every step.
/// </summary>
public class ReferenceRunCacheTests
{
    /// <summary>
    /// Ten examples of 4 to 8 tokens (so micro-batches pad, and an example sits at other rows and other padded lengths
    /// from batch to batch), masks where the KL moves them (log α 0.5, no sparsity pull), batch 4 over micro-batches of 3.
    /// </summary>
    private static EdgePruner Pruner(TaskLoss loss, Ablation ablation, long? cacheBytes)
    {
        var config = RandomModels.Gpt2Like();
        var model = new Transformer(config, RandomModels.Weights(config, seed: 31), CpuKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        var examples = Enumerable.Range(0, 10).Select(i =>
        {
            int length = 4 + i % 5;
            return new TaskExample
            {
                Clean = RandomModels.Tokens(length, config.VocabSize, seed: 500 + i),
                Corrupted = RandomModels.Tokens(length, config.VocabSize, seed: 600 + i),
                LossPositions = i % 2 == 0 ? [length - 1] : [length - 2, length - 1],
                MetricPosition = length - 1,
                Targets = [1],
                Distractors = [2],
            };
        }).ToArray();
        var task = new TaskDataset { Name = "lengths", Train = examples, Validation = examples, Test = examples, Loss = loss, PadToken = config.VocabSize - 1 };
        var options = new PruningOptions
        {
            Steps = 12, Batch = 4, MicroBatch = 3, LrWarmupSteps = 2, InitMean = 0.5, SparsityWarmupSteps = 0, TargetEdgeSparsity = 0,
            Ablation = ablation, Seed = 4, ReferenceCacheBytes = cacheBytes,
        };
        return new EdgePruner(masked, task, options);
    }

    [Theory]
    [InlineData(TaskLoss.KlFullVocabulary, Ablation.Interchange)]
    [InlineData(TaskLoss.KlFullVocabulary, Ablation.Mean)]
    [InlineData(TaskLoss.KlAcrossSequence, Ablation.Interchange)]
    public void KeptRuns_TrainTheSameMasksAsRunsComputedEveryStep(TaskLoss loss, Ablation ablation)
    {
        var kept = Pruner(loss, ablation, cacheBytes: null);
        var fresh = Pruner(loss, ablation, cacheBytes: 0);
        var start = (float[])kept.State.EdgeLogAlpha.Clone();
        var kls = new List<(double Kept, double Fresh)>();
        for (int i = 0; i < 12; i++) kls.Add((kept.Step().Kl, fresh.Step().Kl));

        Assert.Equal(10, kept.ReferenceRunsKept);
        Assert.Equal(0, fresh.ReferenceRunsKept);
        // What the memory plan is told the cache will hold is what it holds.
        Assert.True(kept.ReferenceRunBytes > 0);
        Assert.Equal(kept.ReferenceRunBytes, kept.ReferenceRunBytesHeld);
        Assert.Equal(0, fresh.ReferenceRunBytes);
        Assert.Equal(kept.ReferenceRunBytes, MemoryPlanner.Plan(MemoryPlanRequest.ForCpuTrainer(kept))["reference_runs"].Bytes);
        Assert.DoesNotContain(MemoryPlanner.Plan(MemoryPlanRequest.ForCpuTrainer(fresh)).Terms, t => t.Key == "reference_runs");
        Assert.True(start.Zip(kept.State.EdgeLogAlpha, (a, b) => Math.Abs(a - b)).Max() > 1e-2, "the masks did not move");
        double klDiff = kls.Max(k => Math.Abs(k.Kept - k.Fresh) / Math.Abs(k.Fresh));
        double maskDiff = fresh.State.EdgeLogAlpha.Zip(kept.State.EdgeLogAlpha, (a, b) => Math.Abs(a - b)).Max();
        double nodeDiff = fresh.State.NodeLogAlpha.Zip(kept.State.NodeLogAlpha, (a, b) => Math.Abs(a - b)).Max();
        // The micro-batches differ in length and row placement, so the matrix kernels group an example's rows
        // differently from run to run: the two runs agree to float rounding (measured: KL within 1.1e-6 relative, log α
        // within 3e-7), not bit for bit. A micro-batch given another example's runs differs by orders more.
        Assert.True(klDiff < 1e-5, $"KL differs by {klDiff:E2} (relative)");
        Assert.True(maskDiff < 1e-5, $"edge log α differs by {maskDiff:E2}");
        Assert.True(nodeDiff < 1e-5, $"node log α differs by {nodeDiff:E2}");
    }

    [Fact]
    public void TrainingSplitOverTheBudget_IsRunEveryStep()
    {
        var config = RandomModels.Gpt2Like();
        var small = Pruner(TaskLoss.KlFullVocabulary, Ablation.Interchange, cacheBytes: 1024);
        small.Step();
        Assert.Equal(0, small.ReferenceRunsKept);
        Assert.Equal(0, small.ReferenceRunBytes);
        Assert.True(ReferenceRunCache.Bytes(small.Task.Train, small.Model.Writers, config.ModelDim, config.EffectiveOutputSize, writerOutputs: true) > 1024);
    }
}
