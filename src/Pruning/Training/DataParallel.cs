using EdgePruning.Kernels.Cuda;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// The same edge-masked model on several GPUs of this process (the first is the trainer's own) and one NCCL
/// communicator per GPU: a step deals its micro-batches out to them and all-reduces the mask gradients and the
/// row KLs once (see docs/multi-gpu.md).
/// </summary>
public sealed class DataParallel : IDisposable
{
    private DataParallel(IReadOnlyList<EdgeMaskedModel> models, NcclCommunicator[] communicators)
    {
        Models = models;
        Communicators = communicators;
    }

    /// <summary>One model per GPU, the trainer's first.</summary>
    public IReadOnlyList<EdgeMaskedModel> Models { get; }
    public IReadOnlyList<NcclCommunicator> Communicators { get; }

    /// <summary>Joins <paramref name="models"/>, each on a GPU backend of its own, with NCCL.</summary>
    public static DataParallel Over(IReadOnlyList<EdgeMaskedModel> models)
    {
        if (models.Count < 2) throw new EdgePruningException("data parallel training needs at least two GPUs");
        var contexts = models.Select(m => (m.Backend as CudaKernelBackend
            ?? throw new EdgePruningException($"data parallel training runs on CUDA GPUs; {m.Backend.Name} is not one")).Context).ToArray();
        if (contexts.Select(c => c.Info.Ordinal).Distinct().Count() != contexts.Length)
            throw new EdgePruningException($"each GPU may appear once: {string.Join(", ", contexts.Select(c => c.Location))}");
        return new DataParallel(models, NcclCommunicator.CreateAll(contexts));
    }

    public void Dispose()
    {
        foreach (var c in Communicators) c.Dispose();
    }
}
