using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Tests.Evaluation;

/// <summary>
/// Seven examples of six random tokens on a small random GPT-2-like model (2 embedding nodes), with the loss and
/// metric positions each test asks for per example index, and an Edge Pruning run over them (batch 4, no node masks).
/// </summary>
internal static class ToyTask
{
    public static (EdgePruner Pruner, TaskExample[] Examples) Create(Func<int, int[]> lossPositions, Func<int, int> metricPosition)
    {
        var config = RandomModels.Gpt2Like();
        var model = new Transformer(config, RandomModels.Weights(config, 5), ReferenceKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        var examples = Enumerable.Range(0, 7).Select(i => new TaskExample
        {
            Clean = RandomModels.Tokens(6, config.VocabSize, seed: 300 + i),
            Corrupted = RandomModels.Tokens(6, config.VocabSize, seed: 400 + i),
            LossPositions = lossPositions(i),
            MetricPosition = metricPosition(i),
            Targets = [1],
            Distractors = [2],
        }).ToArray();
        var task = new TaskDataset { Name = "toy", Train = examples, Validation = examples, Test = examples };
        return (new EdgePruner(masked, task, new PruningOptions { Batch = 4, NodeMasks = false }), examples);
    }
}
