using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>Packs examples into row-major token arrays, right-padding each sequence to the longest.</summary>
public static class BatchBuilder
{
    public static (int[] Clean, int[] Corrupted, int Tokens) Build(IReadOnlyList<TaskExample> batch, int padToken)
    {
        int T = batch.Max(e => e.Clean.Length);
        var clean = new int[batch.Count * T];
        var corrupted = new int[batch.Count * T];
        Array.Fill(clean, padToken);
        Array.Fill(corrupted, padToken);
        for (int b = 0; b < batch.Count; b++)
        {
            var e = batch[b];
            if (e.Corrupted.Length != e.Clean.Length)
                throw new EdgePruningException($"example {b} has a clean input of {e.Clean.Length} tokens and a corrupted one of {e.Corrupted.Length}; they must be equal");
            e.Clean.CopyTo(clean, b * T);
            e.Corrupted.CopyTo(corrupted, b * T);
        }
        return (clean, corrupted, T);
    }
}
