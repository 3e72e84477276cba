using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// The KL(full ‖ circuit) of many circuits on the same examples, G circuits per masked forward: each batch of
/// <see cref="TaskBatches"/> is run once as G copies of itself, copy g under circuit g's edge masks (grouped masks,
/// <see cref="EdgeMaskedModel.Forward"/>), with the baseline repeated per copy. Logits are computed only at the rows the
/// loss reads (every row under the across-sequence loss). The values are <see cref="CircuitScorer.Score(Tensor, bool)"/>'s
/// KL up to rounding: the same formulas over a wider batch. The baselines repeated for the most circuits asked so far
/// are kept (on a device, in this scorer's scope until it is disposed); a call with fewer circuits repeats them for
/// itself.
/// </summary>
public sealed class GroupedCircuitScorer : IDisposable
{
    private readonly int[]?[] _readRows;
    private readonly ITensorScope? _scope;
    private Tensor?[] _repeated = [];
    private int _repeatedCopies;

    public GroupedCircuitScorer(TaskBatches batches)
    {
        Batches = batches;
        var task = batches.Pruner.Task;
        bool perRow = task.Loss != TaskLoss.KlAcrossSequence;
        _scope = batches.Pruner.Model.OnDevice ? batches.Pruner.Model.Backend.OpenScope() : null;
        _readRows = new int[]?[batches.Batches.Count];
        for (int i = 0; i < batches.Batches.Count; i++)
        {
            var b = batches.Batches[i];
            if (!perRow) continue;
            _readRows[i] = TaskObjective.ReadRows(b.Examples, b.Tokens);
        }
    }

    public TaskBatches Batches { get; }

    /// <summary>
    /// The KL of each circuit of <paramref name="edgeMasks"/> [circuits, edges] (f32 on the host, 1 kept, 0 ablated), all
    /// in one forward per batch.
    /// </summary>
    public double[] Kl(Tensor edgeMasks)
    {
        var model = Batches.Pruner.Model;
        var task = Batches.Pruner.Task;
        if (edgeMasks.Shape.Rank != 2 || edgeMasks.Shape[1] != model.EdgeCount || edgeMasks.DType != DType.F32 || edgeMasks.IsOnDevice)
            throw new EdgePruningException($"grouped circuit masks {edgeMasks.Shape} must be f32 [circuits, {model.EdgeCount}] on the host");
        int G = edgeMasks.Shape[0];
        var kl = new double[G];
        if (G > _repeatedCopies)
        {
            // A scope gives its memory back only whole: on a device the smaller copies stay until the scorer goes.
            _repeated = Batches.Batches.Select(b => b.Baseline is null ? null : Repeated(model, b.Baseline, G, _scope)).ToArray();
            _repeatedCopies = G;
        }
        for (int i = 0; i < Batches.Batches.Count; i++)
        {
            var b = Batches.Batches[i];
            using var scope = model.OnDevice ? model.Backend.OpenScope() : null;
            var z = BackendCopies.ToModel(model, edgeMasks, scope);
            var tokens = new int[G * b.Clean.Length];
            for (int g = 0; g < G; g++) b.Clean.CopyTo(tokens, g * b.Clean.Length);
            var copies = Enumerable.Repeat(b.Examples, G).SelectMany(e => e).ToArray();
            var readRows = _readRows[i] is null ? null : TaskObjective.ReadRows(copies, b.Tokens);
            var baseline = G == _repeatedCopies || b.Baseline is null ? _repeated[i] : Repeated(model, b.Baseline, G, scope);
            var logits = BackendCopies.ToHost(model.Backend,
                model.Forward(tokens, G * b.Size, baseline, z, scope: scope, readRows: readRows).Logits);
            int perCopy = logits.Shape[0] / G;
            // The batch's full logits begin with its loss rows (EvaluationRows), the rows computed here.
            var full = _readRows[i] is null ? b.Full : b.Full.Rows(0, b.Rows.LossRows);
            for (int g = 0; g < G; g++)
                kl[g] += TaskObjective.Kl(task, b.Examples, full, logits.Rows(g * perCopy, perCopy), null) * b.Size;
        }
        for (int g = 0; g < G; g++) kl[g] /= Batches.Count;
        return kl;
    }

    /// <summary>Gives the repeated baselines' device memory back (nothing on the host).</summary>
    public void Dispose() => _scope?.Dispose();

    /// <summary>ỹ [W, n·d] repeated for G copies of the batch: [W, G·n·d], made where the model runs.</summary>
    private static Tensor Repeated(EdgeMaskedModel model, Tensor baseline, int G, ITensorScope? scope)
    {
        int W = baseline.Shape[0], nd = baseline.Shape[1];
        var ids = new int[W * G];
        for (int w = 0; w < W; w++)
            for (int g = 0; g < G; g++) ids[w * G + g] = w;
        var t = scope?.Empty(baseline.DType, W, G * nd) ?? (model.OnDevice
            ? model.Backend.Empty(baseline.DType, W, G * nd)
            : Tensor.Empty(baseline.DType, W, G * nd));
        model.Model.Kernels.Embedding(baseline, ids, t.Reshape(W * G, nd));
        return t;
    }
}
