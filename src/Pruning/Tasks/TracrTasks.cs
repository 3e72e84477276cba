using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// The two Tracr programs of the paper as tasks over every input of the task's length:
/// reverse (BOS + 3 tokens from {1,2,3}: 27 sequences, KL at positions 1..3) and xproportion
/// (BOS + 4 tokens from {a,b,c,x}: 256 sequences, the scalar output softmaxed across the sequence).
/// Both are pruned under zero ablation; the corrupted inputs shift every token to the next symbol.
/// </summary>
public static class TracrTasks
{
    public static TaskDataset Create(TracrModelInfo info) => info.Name switch
    {
        "reverse" => Reverse(info),
        "xproportion" => XProportion(info),
        _ => throw new EdgePruningException($"no task is defined for the Tracr program '{info.Name}' (known: reverse, xproportion)"),
    };

    public static TaskDataset Reverse(TracrModelInfo info, int length = 3)
    {
        var symbols = info.OutputClasses ?? throw new EdgePruningException("the reverse model has no output classes");
        var examples = new List<TaskExample>();
        foreach (var seq in Sequences(symbols.Count, length))
        {
            var clean = new[] { info.BosId }.Concat(seq.Select(i => info.IdOf(symbols[i]))).ToArray();
            var corrupted = new[] { info.BosId }.Concat(seq.Select(i => info.IdOf(symbols[(i + 1) % symbols.Count]))).ToArray();
            examples.Add(new TaskExample
            {
                Clean = clean,
                Corrupted = corrupted,
                LossPositions = Enumerable.Range(1, length).ToArray(),
                MetricPosition = 1,
                Targets = Enumerable.Range(0, length).Select(p => seq[length - 1 - p]).ToArray(),
                Text = "BOS " + string.Join(' ', seq.Select(i => symbols[i])),
            });
        }
        // The reference sums the three positions' KL and divides by the batch only.
        return Dataset("tracr-reverse", examples, TaskLoss.KlFullVocabulary, TaskMetric.Accuracy, info.PadId, KlReduction.SumPerExample);
    }

    public static TaskDataset XProportion(TracrModelInfo info, int length = 4)
    {
        string[] symbols = ["a", "b", "c", "x"];
        var examples = new List<TaskExample>();
        foreach (var seq in Sequences(symbols.Length, length))
        {
            var clean = new[] { info.BosId }.Concat(seq.Select(i => info.IdOf(symbols[i]))).ToArray();
            var corrupted = new[] { info.BosId }.Concat(seq.Select(i => info.IdOf(symbols[(i + 1) % symbols.Length]))).ToArray();
            examples.Add(new TaskExample
            {
                Clean = clean,
                Corrupted = corrupted,
                // The reference's loss reads BOS too, which is what keeps the BOS-fallback edges.
                LossPositions = Enumerable.Range(0, length + 1).ToArray(),
                MetricPosition = length,
                Text = "BOS " + string.Join(' ', seq.Select(i => symbols[i])),
            });
        }
        return Dataset("tracr-xproportion", examples, TaskLoss.KlAcrossSequence, TaskMetric.ScalarError, info.PadId);
    }

    private static TaskDataset Dataset(string name, List<TaskExample> all, TaskLoss loss, TaskMetric metric, int pad,
        KlReduction reduction = KlReduction.MeanPerExample) => new()
    {
        Name = name, Train = all, Validation = all, Test = all, Loss = loss, Metric = metric, Reduction = reduction,
        DefaultAblation = "zero", PadToken = pad,
    };

    /// <summary>Every sequence of <paramref name="length"/> symbol indices in lexicographic order.</summary>
    private static IEnumerable<int[]> Sequences(int symbols, int length)
    {
        int count = (int)Math.Pow(symbols, length);
        for (int k = 0; k < count; k++)
        {
            var seq = new int[length];
            for (int p = length - 1, rest = k; p >= 0; p--, rest /= symbols) seq[p] = rest % symbols;
            yield return seq;
        }
    }
}
