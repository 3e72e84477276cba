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
}
