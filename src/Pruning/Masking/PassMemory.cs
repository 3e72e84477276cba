using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Where the tensors of one masked pass come from: the step arena on the host, a backend scope (device
/// memory given back when the scope ends), or the backend itself (tensors that live until it is reset).
/// Every tensor comes zeroed. <see cref="Nested"/> gives memory for a part of the pass (one layer) that is
/// given back when that part is done.
/// </summary>
internal sealed class PassMemory(Kernels.IKernelBackend backend, IGradientKernels gradients, TensorArena? arena, ITensorScope? scope)
    : IDisposable
{
    private Action? _release;

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

    /// <summary>
    /// Memory for tensors that are dead once the caller disposes it: the tail of the same arena, or a scope of its own.
    /// Nested memories are disposed in the reverse order of their making.
    /// </summary>
    public PassMemory Nested()
    {
        if (arena is not null)
        {
            var mark = arena.Mark();
            return new PassMemory(backend, gradients, arena, null) { _release = () => arena.Release(mark) };
        }
        var own = backend.OpenScope();
        return new PassMemory(backend, gradients, null, own) { _release = own.Dispose };
    }

    public void Dispose()
    {
        _release?.Invoke();
        _release = null;
    }
}
