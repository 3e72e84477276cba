namespace EdgePruning.Runtime;

/// <summary>
/// Tensors made for one piece of work (a step, a micro-batch) and given back together when the scope is
/// disposed. On the host that is the garbage collector's job; on a GPU it is the device memory pool's.
/// </summary>
public interface ITensorScope : IDisposable
{
    /// <summary>An uninitialized tensor that lives until the scope is disposed.</summary>
    Tensor Empty(DType dtype, params int[] dims);
}
