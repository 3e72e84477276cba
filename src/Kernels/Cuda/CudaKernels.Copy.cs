using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    /// <summary>convert.cu's entry points by [source dtype, destination dtype], looked up on first use.</summary>
    private readonly CudaFunction?[,] _convert = new CudaFunction?[3, 3];

    /// <summary>A device memcpy for equal dtypes; otherwise a conversion kernel (f32, bf16 and f16, rounding to nearest even).</summary>
    public void Copy(Tensor source, Tensor destination)
    {
        KernelChecks.Require(source.Count == destination.Count, $"copy: source {source.Shape}, destination {destination.Shape}");
        RequireHere("copy", source);
        RequireHere("copy", destination);
        if (source.DType == destination.DType)
        {
            if (source.Count > 0) _context.Copy(source, destination);
            return;
        }
        var convert = _convert[(int)source.DType, (int)destination.DType] ??=
            _modules.Function(KernelEntryPoints.ConvertFile, KernelEntryPoints.Convert(source.DType, destination.DType));
        LaunchElementwise(convert, source.Count, source, destination, source.Count);
    }
}
