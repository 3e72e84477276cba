using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

/// <summary>
/// A place kernels run, with the means to move tensors there and back: the host (CPU kernels) or a GPU
/// (CUDA kernels). The parity checks, the self-test and the benchmarks are written against this, so the
/// same check runs on every backend. Tensors it makes live until <see cref="Reset"/> (or disposal).
/// </summary>
public interface IKernelBackend : IDisposable
{
    /// <summary>"cpu", "cuda:0", …</summary>
    string Name { get; }

    /// <summary>A line describing the hardware and libraries behind this backend.</summary>
    string Description { get; }

    IKernels Kernels { get; }

    /// <summary>The backward primitives, on the same tensors as <see cref="Kernels"/>.</summary>
    IGradientKernels Gradients { get; }

    /// <summary>The primitives of a pruning step (masks, masked sums, KL, AdamW); f32 tensors.</summary>
    ITrainingKernels Training { get; }

    /// <summary>The fused masked read and its backward, on this backend's tensors (z, C, statistics, dz and dC f32; D, y, dY and dD f32 or bf16).</summary>
    IMaskedReadKernels MaskedRead { get; }

    /// <summary>Storage dtypes the kernels accept (f32 always; bf16 on the GPU).</summary>
    IReadOnlyList<DType> DTypes { get; }

    /// <summary>An uninitialized tensor where the kernels run.</summary>
    Tensor Empty(DType dtype, params int[] dims);

    /// <summary>
    /// A scope for the tensors of one piece of work: they are given back when it is disposed, while tensors
    /// made with <see cref="Empty"/> (weights) stay until <see cref="Reset"/>.
    /// </summary>
    ITensorScope OpenScope();

    /// <summary>A copy of a host tensor where the kernels run, converted to <paramref name="dtype"/>.</summary>
    Tensor Upload(Tensor host, DType dtype);

    /// <summary>Copies a host tensor's values into a backend tensor of as many elements, converting to its dtype (waits for the copy).</summary>
    void CopyFromHost(Tensor host, Tensor destination);

    /// <summary>A host f32 copy of a backend tensor (waits for queued work).</summary>
    Tensor Download(Tensor tensor);

    /// <summary>Waits until every queued kernel has finished (a no-op on the CPU).</summary>
    void Synchronize();

    /// <summary>Gives back every tensor made since the last reset.</summary>
    void Reset();

    /// <summary>Tensors made and not yet given back (a leak check expects 0 after <see cref="Reset"/>).</summary>
    int LiveAllocations { get; }
}
