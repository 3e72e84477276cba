namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// A caching pool of device memory. A returned block is kept for the next request of the same rounded
/// size instead of being freed, since cuMemFree synchronizes the device and cuMemAlloc is slow. Blocks are
/// owned explicitly: each <see cref="DeviceBuffer"/> goes back by <see cref="DeviceBuffer.Dispose"/>, never
/// from a finalizer. All work runs on one stream in order, so a block given back may be handed out again
/// at once: kernels that used it were queued before any kernel that will.
/// When the device is full the pool frees its cached blocks and tries once more before it reports
/// out-of-memory, naming what it holds.
/// </summary>
public sealed class DeviceMemoryPool : IDisposable
{
    /// <summary>Requests up to this size are rounded to <see cref="SmallGranule"/>, larger ones to <see cref="LargeGranule"/>.</summary>
    public const long SmallLimit = 1L << 20;
    public const long SmallGranule = 512;
    public const long LargeGranule = 2L << 20;

    private readonly IDeviceAllocator _allocator;
    private readonly string _location;
    private readonly Dictionary<long, Stack<ulong>> _cached = new();
    private readonly HashSet<DeviceBuffer> _live = new(ReferenceEqualityComparer.Instance);
    private readonly object _gate = new();
    private bool _disposed;

    public DeviceMemoryPool(IDeviceAllocator allocator, string location = "cuda:0")
    {
        _allocator = allocator;
        _location = location;
    }

    /// <summary>Buffers handed out and not yet given back (a leak test expects this to return to its start).</summary>
    public int LiveAllocations { get { lock (_gate) return _live.Count; } }
    public long LiveBytes { get; private set; }
    /// <summary>Largest <see cref="LiveBytes"/> since creation or <see cref="ResetPeak"/>.</summary>
    public long PeakLiveBytes { get; private set; }
    /// <summary>Bytes of returned blocks kept for reuse.</summary>
    public long CachedBytes { get; private set; }
    /// <summary>Bytes the pool holds from the device: live plus cached.</summary>
    public long ReservedBytes => LiveBytes + CachedBytes;
    /// <summary>Calls that reached the allocator (a cache miss each).</summary>
    public long DeviceAllocations { get; private set; }

    public static long RoundUp(long bytes)
    {
        if (bytes <= 0) return SmallGranule;
        long granule = bytes <= SmallLimit ? SmallGranule : LargeGranule;
        return (bytes + granule - 1) / granule * granule;
    }

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes, uninitialized.</summary>
    public DeviceBuffer Rent(long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        long block = RoundUp(bytes);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong address;
            if (_cached.TryGetValue(block, out var stack) && stack.Count > 0)
            {
                address = stack.Pop();
                CachedBytes -= block;
            }
            else
            {
                address = _allocator.Allocate(block);
                if (address == 0)
                {
                    TrimLocked();
                    address = _allocator.Allocate(block);
                }
                if (address == 0)
                    throw new DeviceOutOfMemoryException(
                        $"out of GPU memory on {_location}: {bytes:N0} bytes requested while {LiveBytes:N0} bytes are in use " +
                        $"(peak {PeakLiveBytes:N0}); use a smaller --micro-batch or a shorter sequence");
                DeviceAllocations++;
            }
            _allocator.Annotate(address, bytes);
            var buffer = new DeviceBuffer(this, address, bytes, block, _location);
            _live.Add(buffer);
            LiveBytes += block;
            PeakLiveBytes = Math.Max(PeakLiveBytes, LiveBytes);
            return buffer;
        }
    }

    internal void Return(DeviceBuffer buffer)
    {
        lock (_gate)
        {
            if (!_live.Remove(buffer)) return;
            LiveBytes -= buffer.BlockBytes;
            _allocator.Annotate(buffer.DeviceAddress, 0);
            if (_disposed)
            {
                _allocator.Free(buffer.DeviceAddress);
                return;
            }
            if (!_cached.TryGetValue(buffer.BlockBytes, out var stack)) _cached[buffer.BlockBytes] = stack = new Stack<ulong>();
            stack.Push(buffer.DeviceAddress);
            CachedBytes += buffer.BlockBytes;
        }
    }

    public void ResetPeak()
    {
        lock (_gate) PeakLiveBytes = LiveBytes;
    }

    /// <summary>Gives every cached block back to the device.</summary>
    public void Trim()
    {
        lock (_gate) TrimLocked();
    }

    private void TrimLocked()
    {
        foreach (var stack in _cached.Values)
            while (stack.Count > 0) _allocator.Free(stack.Pop());
        CachedBytes = 0;
    }

    /// <summary>Frees the cached blocks; buffers still live are freed when they are disposed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            TrimLocked();
            _disposed = true;
        }
    }
}
