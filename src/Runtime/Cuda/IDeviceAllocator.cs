namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Where a <see cref="DeviceMemoryPool"/> gets its blocks: the driver on a GPU, a fake in tests of the
/// pool's bookkeeping. <see cref="Allocate"/> returns 0 when the device is out of memory.
/// </summary>
public interface IDeviceAllocator
{
    ulong Allocate(long bytes);
    void Free(ulong address);

    /// <summary>
    /// Says, in stream order, how many bytes of a block are in use: the bytes asked for when the pool hands the block
    /// out, 0 when it takes it back. The CUDA emulator then holds kernels to those bytes, so an overrun inside the
    /// pool's rounding or a use after the block went back fails the launch; elsewhere nothing happens.
    /// </summary>
    void Annotate(ulong address, long bytesInUse)
    {
    }
}
