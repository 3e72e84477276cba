using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// A fixed set of examples cut into batches, with what every circuit evaluation on them shares computed
/// once: the clean tokens, the full model's logits and the ablation baseline ỹ. ACDC evaluates thousands
/// of circuits on the same examples, so this is most of its speed.
/// </summary>
public sealed class TaskBatches
{
    public sealed record Batch(IReadOnlyList<TaskExample> Examples, int[] Clean, int Size, int Tokens, Tensor Full, Tensor? Baseline);

    public TaskBatches(EdgePruner pruner, IReadOnlyList<TaskExample> examples, int batchSize)
    {
        if (examples.Count == 0) throw new EdgePruningException($"task {pruner.Task.Name} has no examples to evaluate on");
        Pruner = pruner;
        var list = new List<Batch>();
        for (int i = 0; i < examples.Count; i += batchSize)
        {
            var chunk = examples.Skip(i).Take(batchSize).ToArray();
            var (clean, corrupted, T) = BatchBuilder.Build(chunk, pruner.Task.PadToken);
            var full = pruner.Model.Model.Forward(clean, chunk.Length);
            list.Add(new Batch(chunk, clean, chunk.Length, T, full, pruner.Baseline(corrupted, chunk.Length, T)));
        }
        Batches = list;
        Count = examples.Count;
    }

    public EdgePruner Pruner { get; }
    public IReadOnlyList<Batch> Batches { get; }
    /// <summary>Examples in all batches.</summary>
    public int Count { get; }
}
