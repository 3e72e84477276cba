using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// A fixed set of examples cut into batches, with what every circuit evaluation on them shares computed
/// once: the clean tokens, the full model's logits (on the host, where metrics are computed) and the ablation
/// baseline ỹ (where the model runs: on a device it lives in the batches' own scope until they are disposed).
/// ACDC evaluates thousands of circuits on the same examples, so this is most of its speed.
/// The full model's logits are kept at the rows an evaluation reads only (<see cref="EvaluationRows"/>: each
/// example's loss and metric positions), [rows, outputs]; under the across-sequence loss at every row, [batch, T, outputs].
/// </summary>
public sealed class TaskBatches : IDisposable
{
    private readonly ITensorScope? _scope;

    /// <param name="Full">the full model's logits at <paramref name="Rows"/>.</param>
    /// <param name="Rows">the rows of <paramref name="Full"/>, and the <c>readRows</c> a circuit's forward computes.</param>
    public sealed record Batch(IReadOnlyList<TaskExample> Examples, int[] Clean, int Size, int Tokens, Tensor Full, Tensor? Baseline, EvaluationRows Rows);

    public TaskBatches(EdgePruner pruner, IReadOnlyList<TaskExample> examples, int batchSize)
    {
        if (examples.Count == 0) throw new EdgePruningException($"task {pruner.Task.Name} has no examples to evaluate on");
        Pruner = pruner;
        var model = pruner.Model;
        _scope = model.OnDevice ? model.Backend.OpenScope() : null;
        var list = new List<Batch>();
        for (int i = 0; i < examples.Count; i += batchSize)
        {
            var chunk = examples.Skip(i).Take(batchSize).ToArray();
            var (clean, corrupted, T) = BatchBuilder.Build(chunk, pruner.Task.PadToken);
            var rows = Rows(pruner.Task, chunk, T);
            Tensor full;
            using (var pass = model.OnDevice ? model.Backend.OpenScope() : null)
                full = BackendCopies.ToHost(model.Backend, model.Model.Forward(clean, chunk.Length, scope: pass, readRows: rows.ReadRows));
            list.Add(new Batch(chunk, clean, chunk.Length, T, full, pruner.Baseline(corrupted, chunk.Length, T, scope: _scope), rows));
        }
        Batches = list;
        Count = examples.Count;
    }

    public EdgePruner Pruner { get; }
    public IReadOnlyList<Batch> Batches { get; }
    /// <summary>Examples in all batches.</summary>
    public int Count { get; }

    /// <summary>The rows an evaluation of <paramref name="batch"/> reads: every row under the across-sequence loss.</summary>
    public static EvaluationRows Rows(TaskDataset task, IReadOnlyList<TaskExample> batch, int T) =>
        task.Loss == TaskLoss.KlAcrossSequence ? EvaluationRows.Dense(batch.Count, T) : EvaluationRows.For(batch, T);

    /// <summary>Gives the baselines' device memory back (nothing on the host).</summary>
    public void Dispose() => _scope?.Dispose();
}
