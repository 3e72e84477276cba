using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Bindings to cuBLASLt (libcublasLt.so.13 or .12). cuBLAS itself depends on the cuBLASLt of its own
/// version, so the resolver loads the two as a pair from one folder; we read its version for
/// <c>edgeprune devices</c>.
/// </summary>
internal static partial class CublasLtApi
{
    private const string Lib = CudaLibraryResolver.CublasLt;

    [LibraryImport(Lib)] public static partial nuint cublasLtGetVersion();
    [LibraryImport(Lib)] public static partial nuint cublasLtGetCudartVersion();
}
