using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

/// <summary>A scope of host tensors: they are ordinary managed tensors, collected once unreachable.</summary>
public sealed class HostTensorScope : ITensorScope
{
    public Tensor Empty(DType dtype, params int[] dims) => Tensor.Empty(dtype, dims);
    public void Dispose() { }
}
