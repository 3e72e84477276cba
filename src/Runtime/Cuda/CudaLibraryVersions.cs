using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>One CUDA library as found on this machine: where it was loaded from and its version, or why not.</summary>
public sealed record CudaLibraryInfo(string Name, string? Path, string? Version, string? Problem);

/// <summary>NVRTC, cuBLAS and cuBLASLt: found or not, and their versions (for <c>edgeprune devices</c> and results files).</summary>
public static class CudaLibraryVersions
{
    public static IReadOnlyList<CudaLibraryInfo> Query() =>
    [
        Probe("nvrtc", CudaLibraryResolver.Nvrtc, NvrtcCompiler.Version),
        Probe("cublas", CudaLibraryResolver.Cublas, Cublas.Version),
        Probe("cublasLt", CudaLibraryResolver.CublasLt, () => Cublas.LtVersion().ToString()),
    ];

    private static CudaLibraryInfo Probe(string name, string library, Func<string> version)
    {
        try
        {
            var (_, path) = CudaLibraryResolver.Require(library);
            return new CudaLibraryInfo(name, path, version(), null);
        }
        catch (CudaException e)
        {
            return new CudaLibraryInfo(name, CudaLibraryResolver.TryPath(library), null, e.Message);
        }
        catch (CudaUnavailableException e)
        {
            return new CudaLibraryInfo(name, null, null, e.Message);
        }
    }
}
