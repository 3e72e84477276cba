using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>
/// How many ACDC trials one masked forward scores (K): as many copies of the largest evaluation batch as a memory
/// budget holds, at most <see cref="Most"/>. Past a few dozen, speculation gains little: a rejection voids the trials
/// after it, and the forward already runs wide.
/// </summary>
public static class AcdcCandidates
{
    /// <summary>The memory the copies of one grouped forward may take by default: 1 GiB.</summary>
    public const long DefaultBudgetBytes = 1L << 30;

    /// <summary>The most candidates one forward scores when the choice is left to the budget.</summary>
    public const int Most = 32;

    /// <summary>K for <paramref name="batches"/>: ⌊budget / bytes per copy⌋, within 1 .. <see cref="Most"/>.</summary>
    public static int PerForward(TaskBatches batches, long budgetBytes = DefaultBudgetBytes)
    {
        long perCopy = batches.Batches.Max(b => BytesPerCopy(batches, b));
        return (int)Math.Clamp(budgetBytes / Math.Max(1, perCopy), 1, Most);
    }

    /// <summary>
    /// The tensors one copy of <paramref name="batch"/> adds to a grouped forward, over its n = batch·T tokens in the
    /// activations' size s: the difference stack, the repeated baseline and the regrouped stack of the unfused read
    /// (3·W·n·d·s); a layer's reads (3·R·n·d·s for R readers: sum, regrouped sum, normed), projections (4·H·n·hd·s), MLP
    /// (3·n·mlp·s) and attention scores (4·H·batch·T²); the logits at the rows the loss reads (every row under the
    /// across-sequence loss), in f32.
    /// </summary>
    public static long BytesPerCopy(TaskBatches batches, TaskBatches.Batch batch)
    {
        var model = batches.Pruner.Model;
        var c = model.Config;
        long s = model.Model.DType.SizeOf(), n = (long)batch.Size * batch.Tokens, d = c.ModelDim, W = model.Writers;
        long R = model.Layout.AttentionReaders, H = c.Heads, T = batch.Tokens;
        long rows = batches.Pruner.Task.Loss == TaskLoss.KlAcrossSequence ? n : batch.Examples.Sum(e => e.LossPositions.Length);
        return s * n * (3 * W * d + 3 * R * d + 4 * H * Math.Max(c.HeadDim, c.EffectiveValueDim) + 3 * c.MlpDim)
            + 4 * H * batch.Size * T * T + 4 * rows * c.EffectiveOutputSize;
    }
}
