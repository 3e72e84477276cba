namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// One block of device memory rented from a <see cref="DeviceMemoryPool"/>; the storage of device tensors.
/// Dispose gives it back to the pool (once; further calls do nothing). There is no finalizer: a buffer
/// that is never disposed stays counted in <see cref="DeviceMemoryPool.LiveAllocations"/>.
/// </summary>
public sealed class DeviceBuffer : Storage, IDeviceStorage, IDisposable
{
    private readonly DeviceMemoryPool _pool;
    private readonly string _location;
    private int _disposed;

    internal DeviceBuffer(DeviceMemoryPool pool, ulong address, long bytes, long blockBytes, string location)
    {
        _pool = pool;
        DeviceAddress = address;
        ByteLength = bytes;
        BlockBytes = blockBytes;
        _location = location;
    }

    public ulong DeviceAddress { get; }
    public override long ByteLength { get; }
    /// <summary>The rounded size of the pool block behind this buffer.</summary>
    public long BlockBytes { get; }
    public override string Location => _location;
    public bool IsDisposed => _disposed != 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _pool.Return(this);
    }
}
