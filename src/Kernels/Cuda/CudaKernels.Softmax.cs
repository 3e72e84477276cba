using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private readonly TypedKernel _softmax;

    /// <summary>One block per row (softmax.cu), up to 1024 threads striding rows of any length.</summary>
    public void Softmax(Tensor x)
    {
        var dtype = CommonDType("softmax", x);
        int rows = x.Shape.Rows, cols = x.Shape.Cols;
        Launch(_softmax.For(dtype), new Dim3((uint)rows), RowBlock(cols, 1024), 0, x, cols);
    }
}
