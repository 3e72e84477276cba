using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Tests.Runtime;

public class CudaDeviceMemoryPoolTests
{
    /// <summary>A device of a fixed size with fake addresses; it refuses to free an address it did not hand out.</summary>
    private sealed class FakeAllocator(long capacity) : IDeviceAllocator
    {
        private readonly Dictionary<ulong, long> _blocks = new();
        private ulong _next = 0x10000;

        public List<long> Allocations { get; } = new();
        public List<ulong> Frees { get; } = new();
        public long Used => _blocks.Values.Sum();

        public ulong Allocate(long bytes)
        {
            Allocations.Add(bytes);
            if (Used + bytes > capacity) return 0;
            ulong address = _next;
            _next += (ulong)bytes;
            _blocks[address] = bytes;
            return address;
        }

        public void Free(ulong address)
        {
            Assert.True(_blocks.Remove(address), $"freed 0x{address:x}, which is not allocated");
            Frees.Add(address);
        }
    }

    [Theory]
    [InlineData(0, 512)]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 2 << 20)]
    [InlineData((3 << 20) + 1, 4 << 20)]
    public void RoundUp_SmallToHalfKilobytes_LargeToTwoMegabytes(long bytes, long block) =>
        Assert.Equal(block, DeviceMemoryPool.RoundUp(bytes));

    [Fact]
    public void Rent_AsksTheDeviceForTheRoundedBlock()
    {
        var device = new FakeAllocator(1 << 30);
        using var pool = new DeviceMemoryPool(device);
        using var buffer = pool.Rent(1000);
        Assert.Equal(1000, buffer.ByteLength);
        Assert.Equal(1024, buffer.BlockBytes);
        Assert.Equal([1024L], device.Allocations);
        Assert.Equal(1024, pool.LiveBytes);
        Assert.Equal("cuda:0", buffer.Location);
    }

    [Fact]
    public void AReturnedBlock_IsHandedOutAgainForTheSameRoundedSize()
    {
        var device = new FakeAllocator(1 << 30);
        using var pool = new DeviceMemoryPool(device);
        var first = pool.Rent(1000);
        ulong address = first.DeviceAddress;
        first.Dispose();
        Assert.Equal(1024, pool.CachedBytes);

        using var second = pool.Rent(800);
        Assert.Equal(address, second.DeviceAddress);
        Assert.Equal(1, pool.DeviceAllocations);
        Assert.Single(device.Allocations);
        Assert.Equal(0, pool.CachedBytes);

        using var other = pool.Rent(5000);
        Assert.NotEqual(address, other.DeviceAddress);
        Assert.Equal(2, pool.DeviceAllocations);
    }

    [Fact]
    public void LiveCounter_ReturnsToItsStart_AfterEveryBufferIsDisposed()
    {
        var device = new FakeAllocator(1 << 30);
        using var pool = new DeviceMemoryPool(device);
        int start = pool.LiveAllocations;
        var buffers = new[] { 10L, 600, 4096, 3 << 20 }.Select(pool.Rent).ToList();
        Assert.Equal(start + 4, pool.LiveAllocations);
        Assert.Equal(512 + 1024 + 4096 + (4 << 20), pool.PeakLiveBytes);
        foreach (var b in buffers) b.Dispose();
        Assert.Equal(start, pool.LiveAllocations);
        Assert.Equal(0, pool.LiveBytes);
        Assert.Equal(512 + 1024 + 4096 + (4 << 20), pool.CachedBytes);
        Assert.Equal(pool.CachedBytes, pool.ReservedBytes);
    }

    [Fact]
    public void DisposingTwice_ReturnsTheBlockOnce()
    {
        var device = new FakeAllocator(1 << 30);
        using var pool = new DeviceMemoryPool(device);
        var buffer = pool.Rent(100);
        buffer.Dispose();
        buffer.Dispose();
        Assert.True(buffer.IsDisposed);
        Assert.Equal(0, pool.LiveAllocations);
        Assert.Equal(512, pool.CachedBytes);

        // Were the block cached twice, these two would share an address.
        using var a = pool.Rent(100);
        using var b = pool.Rent(100);
        Assert.NotEqual(a.DeviceAddress, b.DeviceAddress);
        Assert.Equal(2, pool.DeviceAllocations);
    }

    [Fact]
    public void Trim_GivesEveryCachedBlockBackToTheDevice()
    {
        var device = new FakeAllocator(1 << 30);
        using var pool = new DeviceMemoryPool(device);
        var a = pool.Rent(100);
        var b = pool.Rent(2 << 20);
        using var kept = pool.Rent(100);
        var addresses = new[] { a.DeviceAddress, b.DeviceAddress };
        a.Dispose();
        b.Dispose();

        pool.Trim();

        Assert.Equal(0, pool.CachedBytes);
        Assert.Equal(addresses.Order(), device.Frees.Order());
        Assert.Equal(512, device.Used);
        Assert.Equal(pool.LiveBytes, pool.ReservedBytes);
    }

    [Fact]
    public void WhenTheDeviceIsFull_ThePoolTrimsItsCacheAndTriesAgain()
    {
        var device = new FakeAllocator(6 << 20);
        using var pool = new DeviceMemoryPool(device);
        var cached = pool.Rent(2 << 20);
        using var live = pool.Rent(1000);
        cached.Dispose();

        using var big = pool.Rent(3 << 20); // 4 MiB block: fits only once the cached 2 MiB block is freed

        Assert.Equal(4 << 20, big.BlockBytes);
        Assert.Single(device.Frees);
        Assert.Equal(0, pool.CachedBytes);
    }

    [Fact]
    public void OutOfMemory_AfterTrimming_NamesTheBytesAsked()
    {
        var device = new FakeAllocator(4 << 20);
        using var pool = new DeviceMemoryPool(device, "cuda:1");
        using var live = pool.Rent(2 << 20);
        var cached = pool.Rent(1000);
        cached.Dispose();

        var e = Assert.Throws<DeviceOutOfMemoryException>(() => pool.Rent(3_000_000));

        Assert.Contains("3,000,000 bytes requested", e.Message);
        Assert.Contains("cuda:1", e.Message);
        Assert.Contains($"{2 << 20:N0} bytes are in use", e.Message);
        Assert.Single(device.Frees); // the cached block went back before the second try
        Assert.Equal(1, pool.LiveAllocations);
    }

    [Fact]
    public void DisposingThePool_FreesTheCache_AndLaterReturnsGoStraightToTheDevice()
    {
        var device = new FakeAllocator(1 << 30);
        var pool = new DeviceMemoryPool(device);
        var cached = pool.Rent(100);
        var live = pool.Rent(2000);
        cached.Dispose();

        pool.Dispose();
        pool.Dispose();
        Assert.Single(device.Frees);

        live.Dispose();
        Assert.Equal(2, device.Frees.Count);
        Assert.Equal(0, device.Used);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent(1));
    }
}
