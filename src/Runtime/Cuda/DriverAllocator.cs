using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>Device memory straight from the driver (cuMemAlloc_v2 / cuMemFree_v2) in the context's device.</summary>
public sealed unsafe class DriverAllocator(CudaContext context) : IDeviceAllocator
{
    public ulong Allocate(long bytes)
    {
        context.MakeCurrent();
        ulong address;
        int result = CudaDriverApi.cuMemAlloc(&address, (nuint)bytes);
        if (result == CudaDriverApi.ErrorOutOfMemory) return 0;
        CudaCheck.Driver(result, $"cuMemAlloc_v2 of {bytes:N0} bytes");
        return address;
    }

    public void Free(ulong address)
    {
        context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemFree(address), "cuMemFree_v2");
    }

    public void Annotate(ulong address, long bytesInUse)
    {
        if (EmulatorAnnotation.Value is not { } annotate) return;
        context.MakeCurrent();
        CudaCheck.Driver(((delegate* unmanaged<IntPtr, ulong, ulong, int>)annotate)(context.Stream.Handle, address, (ulong)bytesInUse),
            $"ep_emu_annotate of {bytesInUse:N0} bytes");
    }

    /// <summary>The CUDA emulator's stream-ordered annotation of a block's bytes in use; null on a real driver.</summary>
    private static readonly Lazy<IntPtr?> EmulatorAnnotation = new(() =>
    {
        var (driver, _) = CudaLibraryResolver.Require(CudaLibraryResolver.Driver);
        return System.Runtime.InteropServices.NativeLibrary.TryGetExport(driver, "ep_emu_annotate", out var export) ? export : null;
    });
}
