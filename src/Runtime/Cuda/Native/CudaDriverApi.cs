using System.Runtime.InteropServices;

namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Bindings to the CUDA driver API (libcuda.so.1), blittable signatures only; the _v2 entry points where
/// the driver has them. Call <see cref="CudaLibraryResolver.EnsureRegistered"/> before the first call.
/// </summary>
internal static unsafe partial class CudaDriverApi
{
    public const int DeviceAttributeComputeCapabilityMajor = 75;
    public const int DeviceAttributeComputeCapabilityMinor = 76;
    public const int DeviceAttributeMultiprocessorCount = 16;

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuInit(uint flags);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuDriverGetVersion(int* version);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuDeviceGetCount(int* count);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuDeviceGet(int* device, int ordinal);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    [LibraryImport(CudaLibraryResolver.Driver, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial int cuDeviceTotalMem(nuint* bytes, int device);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    [LibraryImport(CudaLibraryResolver.Driver)]
    public static partial int cuGetErrorName(int error, byte** name);
}
