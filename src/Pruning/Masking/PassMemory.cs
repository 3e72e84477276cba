using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Where the tensors of one masked pass come from: the step arena on the host, a backend scope (device
/// memory given back when the scope ends), or the backend itself (tensors that live until it is reset).
/// Every tensor comes zeroed.
/// </summary>
internal sealed class PassMemory(Kernels.IKernelBackend backend, IGradientKernels gradients, TensorArena? arena, ITensorScope? scope)
{
    public Tensor Zeros(DType dtype, params int[] dims)
    {
        if (arena is not null)
        {
            if (dtype != DType.F32) throw new ShapeException($"the host arena holds f32 tensors, not {dtype.Name()}");
            return arena.Zeros(dims);
        }
        var t = scope?.Empty(dtype, dims) ?? backend.Empty(dtype, dims);
        gradients.Fill(t, 0f);
        return t;
    }
}
