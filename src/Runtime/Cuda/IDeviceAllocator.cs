namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Where a <see cref="DeviceMemoryPool"/> gets its blocks: the driver on a GPU, a fake in tests of the
/// pool's bookkeeping. <see cref="Allocate"/> returns 0 when the device is out of memory.
/// </summary>
public interface IDeviceAllocator
{
    ulong Allocate(long bytes);
    void Free(ulong address);
}
