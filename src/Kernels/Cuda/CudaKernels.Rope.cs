using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private const int RopeBlock = 128;

    private readonly TypedKernel _rope;

    /// <summary>One block per (batch, token) row; the row's cos/sin pairs sit in headDim·4 bytes of shared memory.</summary>
    public void Rope(Tensor x, int startPos, float theta)
    {
        KernelChecks.Require(x.Shape.Rank == 4 && x.Shape[3] % 2 == 0 && startPos >= 0,
            $"rope: x must be [B,T,H,even headDim] at a position ≥ 0, got {x.Shape} at {startPos}");
        var dtype = CommonDType("rope", x);
        int batch = x.Shape[0], tokens = x.Shape[1], heads = x.Shape[2], headDim = x.Shape[3];
        if (heads == 0 || headDim == 0) return;
        Launch(_rope.For(dtype), new Dim3(Dim3.Blocks((long)batch * tokens, 1)), RopeBlock, headDim * sizeof(float),
            x, tokens, heads, headDim, startPos, theta);
    }
}
