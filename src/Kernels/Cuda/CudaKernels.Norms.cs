using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    /// <summary>layernorm.cu and rmsnorm.cu give each row one warp; a block holds this many rows.</summary>
    private const int NormRowsPerBlock = 8;

    private readonly TypedKernel _layerNorm;
    private readonly TypedKernel _rmsNorm;

    public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count && (beta is null || beta.Count == d),
            $"layernorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        var dtype = CommonDType("layernorm", x, gamma, beta, y);
        Launch(_layerNorm.For(dtype), new Dim3(Dim3.Blocks(rows, NormRowsPerBlock)), 32 * NormRowsPerBlock, 0,
            x, gamma, beta, y, rows, d, eps);
    }

    public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps)
    {
        int d = x.Shape.Cols, rows = x.Shape.Rows;
        KernelChecks.Require(gamma.Count == d && y.Count == x.Count, $"rmsnorm: x {x.Shape}, gamma {gamma.Shape}, y {y.Shape}");
        var dtype = CommonDType("rmsnorm", x, gamma, y);
        Launch(_rmsNorm.For(dtype), new Dim3(Dim3.Blocks(rows, NormRowsPerBlock)), 32 * NormRowsPerBlock, 0,
            x, gamma, y, rows, d, eps);
    }
}
