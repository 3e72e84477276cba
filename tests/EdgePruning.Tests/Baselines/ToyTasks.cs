using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Tests.Baselines;

/// <summary>A random GPT-2-like model with a logit-difference task over random clean/corrupted pairs.</summary>
internal static class ToyTasks
{
    public static EdgePruner Pruner(int seed = 21, int examples = 6, Ablation ablation = Ablation.Interchange)
    {
        var config = RandomModels.Gpt2Like();
        var model = new Transformer(config, RandomModels.Weights(config, seed), ReferenceKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        var list = Enumerable.Range(0, examples).Select(i => new TaskExample
        {
            Clean = RandomModels.Tokens(5, config.VocabSize, seed: 100 + i),
            Corrupted = RandomModels.Tokens(5, config.VocabSize, seed: 200 + i),
            LossPositions = [4],
            MetricPosition = 4,
            Targets = [1],
            Distractors = [2],
        }).ToArray();
        var task = new TaskDataset { Name = "toy", Train = list, Validation = list, Test = list };
        return new EdgePruner(masked, task, new PruningOptions { Batch = 4, Ablation = ablation, NodeMasks = false });
    }
}
