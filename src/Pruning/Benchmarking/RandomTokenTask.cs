using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>
/// A task of seeded random clean/corrupted token pairs of one length, scored at the last position: the
/// cost of a pruning step depends on shapes, not on what the tokens say.
/// </summary>
public static class RandomTokenTask
{
    public static TaskDataset Create(int vocabSize, int examples, int tokens, int seed)
    {
        if (vocabSize <= 0 || examples <= 0 || tokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(examples), $"vocabulary {vocabSize}, {examples} examples of {tokens} tokens");
        var rng = new Random(seed);
        int[] Sequence() => Enumerable.Range(0, tokens).Select(_ => rng.Next(vocabSize)).ToArray();
        var pairs = Enumerable.Range(0, examples).Select(_ => new TaskExample
        {
            Clean = Sequence(),
            Corrupted = Sequence(),
            LossPositions = [tokens - 1],
            MetricPosition = tokens - 1,
        }).ToArray();
        return new TaskDataset { Name = "random", Train = pairs, Validation = pairs, Test = pairs };
    }
}
