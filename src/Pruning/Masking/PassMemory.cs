using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Where the tensors of one masked pass come from: the step arena on the host, a backend scope (device
/// memory given back when the scope ends), or the backend itself (tensors that live until it is reset).
/// <see cref="Zeros"/> for tensors that are added into, <see cref="Empty"/> for those a kernel overwrites whole
/// (on a GPU each zeroing is a launch of its own). <see cref="Nested"/> gives memory for a part of the pass (one layer) that is
/// given back when that part is done.
/// </summary>
internal sealed class PassMemory(Kernels.IKernelBackend backend, IGradientKernels gradients, TensorArena? arena, ITensorScope? scope)
    : IDisposable
{
    private Action? _release;

    /// <summary>An uninitialized tensor: every element must be written before it is read.</summary>
    public Tensor Empty(DType dtype, params int[] dims)
    {
        if (arena is not null)
        {
            if (dtype != DType.F32) throw new ShapeException($"the host arena holds f32 tensors, not {dtype.Name()}");
            return arena.Empty(dims);
        }
        return scope?.Empty(dtype, dims) ?? backend.Empty(dtype, dims);
    }

    public Tensor Zeros(DType dtype, params int[] dims)
    {
        var t = Empty(dtype, dims);
        if (arena is not null) t.Span.Clear();
        else gradients.Fill(t, 0f);
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
