using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// Host tensors copied to where a model runs and back: on a device backend a copy (into a scope, or into a
/// tensor made there); on the host the tensor itself.
/// </summary>
public static class BackendCopies
{
    /// <summary><paramref name="host"/> in <paramref name="model"/>'s memory: a copy living in <paramref name="scope"/> on a device, else itself.</summary>
    public static Tensor ToModel(EdgeMaskedModel model, Tensor host, ITensorScope? scope)
    {
        if (!model.OnDevice) return host;
        var t = scope?.Empty(host.DType, host.Shape.Dims.ToArray()) ?? model.Backend.Empty(host.DType, host.Shape.Dims.ToArray());
        model.Backend.CopyFromHost(host, t);
        return t;
    }

    /// <summary>
    /// A copy of <paramref name="host"/> made in <paramref name="scope"/> of <paramref name="backend"/>, on the host too: a
    /// captured step reads its inputs from tensors of its own scope, whose addresses repeat from step to step.
    /// </summary>
    public static Tensor Into(IKernelBackend backend, Tensor host, ITensorScope scope)
    {
        var t = scope.Empty(host.DType, host.Shape.Dims.ToArray());
        backend.CopyFromHost(host, t);
        return t;
    }

    /// <summary><paramref name="tensor"/> on the host, in f32 (downloaded when it lives on a device).</summary>
    public static Tensor ToHost(IKernelBackend backend, Tensor tensor) => tensor.IsOnDevice ? backend.Download(tensor) : tensor;
}
