using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// One kernel of kernels-cu/ built for both storage dtypes: the entry points <c>{name}_f32</c> and
/// <c>{name}_bf16</c> of one source file, each compiled and looked up on first use.
/// </summary>
internal sealed class TypedKernel(CudaKernelModules modules, KernelName kernel)
{
    private CudaFunction? _f32;
    private CudaFunction? _bf16;

    public CudaFunction For(DType dtype) => dtype switch
    {
        DType.F32 => _f32 ??= modules.Function(kernel.File, kernel.Name + "_f32"),
        DType.BF16 => _bf16 ??= modules.Function(kernel.File, kernel.Name + "_bf16"),
        _ => throw new ShapeException($"{kernel.Name} has no {dtype.Name()} variant; the CUDA kernels take f32 or bf16"),
    };
}
