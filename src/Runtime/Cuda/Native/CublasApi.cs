using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Bindings to cuBLAS (libcublas.so.13 or .12, loaded after the libcublasLt of the same version and folder).
/// cuBLAS is column-major; <see cref="Cublas"/> maps our row-major products onto it.
/// </summary>
internal static unsafe partial class CublasApi
{
    public const int OpN = 0;
    public const int OpT = 1;
    public const int DataF32 = 0;   // CUDA_R_32F
    public const int DataF16 = 2;   // CUDA_R_16F
    public const int DataBF16 = 14; // CUDA_R_16BF
    public const int Compute32F = 68;          // CUBLAS_COMPUTE_32F
    public const int Compute32FFastTf32 = 77;  // CUBLAS_COMPUTE_32F_FAST_TF32
    public const int GemmDefault = -1;         // CUBLAS_GEMM_DEFAULT
    public const int MathDefault = 0;
    public const int MathTf32TensorOp = 3;     // CUBLAS_TF32_TENSOR_OP_MATH
    public const int PropertyMajor = 0, PropertyMinor = 1, PropertyPatch = 2;

    private const string Lib = CudaLibraryResolver.Cublas;

    [LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(IntPtr* handle);
    [LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(IntPtr handle, IntPtr stream);
    [LibraryImport(Lib, EntryPoint = "cublasSetWorkspace_v2")] public static partial int cublasSetWorkspace(IntPtr handle, ulong workspace, nuint bytes);
    [LibraryImport(Lib)] public static partial int cublasSetMathMode(IntPtr handle, int mode);
    [LibraryImport(Lib)] public static partial int cublasGetProperty(int type, int* value);
    [LibraryImport(Lib)] public static partial byte* cublasGetStatusName(int status);

    [LibraryImport(Lib)]
    public static partial int cublasGemmEx(IntPtr handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int aType, int lda, ulong b, int bType, int ldb,
        float* beta, ulong c, int cType, int ldc, int computeType, int algorithm);

    [LibraryImport(Lib)]
    public static partial int cublasGemmStridedBatchedEx(IntPtr handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int aType, int lda, long strideA, ulong b, int bType, int ldb, long strideB,
        float* beta, ulong c, int cType, int ldc, long strideC, int batchCount, int computeType, int algorithm);
}
