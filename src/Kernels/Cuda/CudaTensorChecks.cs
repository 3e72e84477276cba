using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// The checks every launcher of kernels-cu/ makes on its tensors: device tensors of the launching context,
/// f32 or bf16 storage, one dtype per call (<see cref="CudaKernels"/> and <see cref="CudaGradientKernels"/>).
/// </summary>
internal static class CudaTensorChecks
{
    /// <summary>
    /// The dtype shared by <paramref name="tensors"/> (nulls skipped): each must be a device tensor of
    /// <paramref name="context"/> with f32 or bf16 storage, and all of one dtype.
    /// </summary>
    public static DType CommonDType(CudaContext context, string op, params ReadOnlySpan<Tensor?> tensors)
    {
        DType? common = null;
        foreach (var t in tensors)
        {
            if (t is null) continue;
            RequireHere(context, op, t);
            if (t.DType is not (DType.F32 or DType.BF16))
                throw new ShapeException($"{op}: tensor {t.Shape} holds {t.DType.Name()}; the CUDA kernels take f32 or bf16");
            if (common is { } d && d != t.DType)
                throw new ShapeException($"{op}: tensors mix {d.Name()} and {t.DType.Name()}; all tensors of one call share a dtype");
            common = t.DType;
        }
        return common ?? DType.F32;
    }

    /// <summary>Throws unless <paramref name="t"/> lives in <paramref name="context"/>'s device memory.</summary>
    public static void RequireHere(CudaContext context, string op, Tensor t)
    {
        if (!t.IsOnDevice)
            throw new ShapeException($"{op}: tensor {t.Shape} lives on the host; copy it to {context.Location} before a kernel reads it");
        if (t.Storage.Location != context.Location)
            throw new ShapeException($"{op}: tensor {t.Shape} lives on {t.Storage.Location}, these kernels run on {context.Location}");
    }
}
