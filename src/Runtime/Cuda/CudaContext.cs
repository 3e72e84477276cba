using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// One GPU in use: its primary context, the stream all our work goes to, the caching memory pool and
/// (made on first use) a cuBLAS handle. Tensors move between host and device only through the copy
/// methods here. Every entry point makes the context current on the calling thread, so a context may
/// be used from any thread, one at a time.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly int _device;
    private IntPtr _context;
    private Cublas? _cublas;

    private CudaContext(CudaEnvironment environment, CudaDeviceInfo info, int device, IntPtr context)
    {
        Environment = environment;
        Info = info;
        _device = device;
        _context = context;
        Stream = new CudaStream(this);
        Pool = new DeviceMemoryPool(new DriverAllocator(this), Location);
    }

    public CudaEnvironment Environment { get; }
    public CudaDeviceInfo Info { get; }
    public string Location => $"cuda:{Info.Ordinal}";
    /// <summary>The stream every kernel, copy and GEMM of this context is queued on.</summary>
    public CudaStream Stream { get; }
    public DeviceMemoryPool Pool { get; }
    /// <summary>The SM architecture NVRTC compiles for, e.g. "sm_90".</summary>
    public string Architecture => $"sm_{Info.ComputeMajor}{Info.ComputeMinor}";

    /// <summary>
    /// The work being captured or fed on <see cref="Stream"/> (null otherwise): allocations, copies and launches
    /// go through it, and reading back or waiting is refused.
    /// </summary>
    public CapturedStreamWork? Work { get; internal set; }

    /// <summary>The cuBLAS handle bound to <see cref="Stream"/>; loads cuBLAS on first use.</summary>
    public Cublas Cublas => _cublas ??= new Cublas(this);

    /// <summary>Opens device <paramref name="ordinal"/>, or throws <see cref="CudaUnavailableException"/> saying why it cannot.</summary>
    public static CudaContext Open(int ordinal = 0)
    {
        var environment = CudaDevices.Query();
        if (ordinal < 0 || ordinal >= environment.Devices.Count)
            throw new CudaUnavailableException(environment.Devices.Count == 0
                ? $"the driver ({environment.DriverLibrary}, CUDA {environment.DriverVersionText}) reports no device"
                : $"there is no cuda:{ordinal}; this machine has {environment.Devices.Count} device(s)");
        int device;
        IntPtr context;
        CudaCheck.Driver(CudaDriverApi.cuDeviceGet(&device, ordinal), "cuDeviceGet");
        CudaCheck.Driver(CudaDriverApi.cuDevicePrimaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain");
        CudaCheck.Driver(CudaDriverApi.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        return new CudaContext(environment, environment.Devices[ordinal], device, context);
    }

    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_context == IntPtr.Zero, this);
        CudaCheck.Driver(CudaDriverApi.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

    public void Synchronize()
    {
        RefuseUnderCapture("waits for the device");
        Stream.Synchronize();
    }

    /// <summary>Whether an operation of the stream is to be issued: always, but while work is fed (then it is only checked).</summary>
    internal bool Issues(OpSignature op) => Work?.Issue(op) ?? true;

    private void RefuseUnderCapture(string what)
    {
        if (Work is not null) throw new CaptureUnsupportedException($"captured work {what} on {Location}");
    }

    /// <summary>Free and total bytes of the device as the driver sees them (other processes included).</summary>
    public (long Free, long Total) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaCheck.Driver(CudaDriverApi.cuMemGetInfo(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    public CudaEvent CreateEvent() => new(this);
    public CudaStream CreateStream() => new(this);
    public PinnedHostBuffer AllocatePinned(long bytes) => new(this, bytes);

    /// <summary>An uninitialized device tensor in a fresh pool buffer; dispose it with <see cref="Release"/> or use a <see cref="DeviceScope"/>.</summary>
    public Tensor Empty(DType dtype, params int[] dims)
    {
        var shape = new Shape(dims);
        var buffer = Rent(shape.Count * dtype.SizeOf());
        return Tensor.Wrap(buffer, 0, dtype, dims);
    }

    /// <summary>
    /// Uninitialized device bytes for one piece of work (scratch): from the pool, or from the captured work's own
    /// memory while work is captured or fed. Give them back by disposing the buffer.
    /// </summary>
    public DeviceBuffer Rent(long bytes) => Work?.Rent(bytes) ?? Pool.Rent(bytes);

    public Tensor Zeros(DType dtype, params int[] dims)
    {
        var t = Empty(dtype, dims);
        Fill(t, 0);
        return t;
    }

    /// <summary>Sets every byte of a device tensor to <paramref name="value"/> (asynchronously, in stream order).</summary>
    public void Fill(Tensor device, byte value)
    {
        if (!Issues(new OpSignature("cuMemsetD8Async").Add(device.DeviceAddress).Add(value).Add(device.ByteLength))) return;
        MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemsetD8Async(device.DeviceAddress, value, (nuint)device.ByteLength, Stream.Handle), "cuMemsetD8Async");
    }

    /// <summary>Gives the pool buffer behind a device tensor back (the tensor and its views become invalid).</summary>
    public static void Release(Tensor device)
    {
        if (device.Storage is DeviceBuffer buffer) buffer.Dispose();
        else throw new ShapeException($"tensor {device.Shape} on {device.Storage.Location} is not a device buffer of a pool");
    }

    /// <summary>A device copy of a host tensor (same dtype and shape); returns when the copy is done.</summary>
    public Tensor Upload(Tensor host)
    {
        var device = Empty(host.DType, host.Shape.Dims.ToArray());
        CopyToDevice(host, device);
        if (Work is null) Stream.Synchronize();
        return device;
    }

    /// <summary>A host copy of a device tensor; waits for all queued work first.</summary>
    public Tensor Download(Tensor device)
    {
        RefuseUnderCapture($"reads a tensor {device.Shape} back to the host");
        var host = Tensor.Empty(device.DType, device.Shape.Dims.ToArray());
        CopyToHost(device, host);
        return host;
    }

    /// <summary>
    /// Queues a host-to-device copy. The host bytes must stay valid until the stream reaches the copy:
    /// from pageable memory the driver stages them before this returns; from a <see cref="PinnedHostBuffer"/>
    /// the copy is truly asynchronous.
    /// </summary>
    public void CopyToDevice(Tensor host, Tensor device)
    {
        CheckPair(host, device);
        if (Work is { } work)
        {
            work.CopyToDevice(host.Pointer, host.ByteLength, device.DeviceAddress);
            return;
        }
        MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemcpyHtoDAsync(device.DeviceAddress, host.Pointer, (nuint)host.ByteLength, Stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    /// <summary>
    /// Queues a copy of host values to a device address. Pageable host memory is staged by the driver before
    /// this returns, so the span may be reused at once; the device bytes are written in stream order.
    /// </summary>
    public void CopyToDevice<T>(ReadOnlySpan<T> host, ulong address) where T : unmanaged
    {
        if (host.IsEmpty) return;
        if (Work is { } work)
        {
            fixed (T* p = host) work.CopyToDevice(p, (long)host.Length * sizeof(T), address);
            return;
        }
        MakeCurrent();
        fixed (T* p = host)
            CudaCheck.Driver(CudaDriverApi.cuMemcpyHtoDAsync(address, p, (nuint)(host.Length * sizeof(T)), Stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    /// <summary>Copies device bytes at <paramref name="address"/> into host values and waits for it (and everything queued before it).</summary>
    public void CopyToHost<T>(ulong address, Span<T> host) where T : unmanaged
    {
        RefuseUnderCapture("reads device memory back to the host");
        if (host.IsEmpty) return;
        MakeCurrent();
        fixed (T* p = host)
        {
            CudaCheck.Driver(CudaDriverApi.cuMemcpyDtoHAsync(p, address, (nuint)(host.Length * sizeof(T)), Stream.Handle), "cuMemcpyDtoHAsync_v2");
            Stream.Synchronize();
        }
    }

    /// <summary>Copies a device tensor into a host tensor and waits for it (and everything queued before it).</summary>
    public void CopyToHost(Tensor device, Tensor host)
    {
        CopyToHostAsync(device, host);
        Stream.Synchronize();
    }

    /// <summary>Queues a device-to-host copy; the host bytes are valid after the next synchronization.</summary>
    public void CopyToHostAsync(Tensor device, Tensor host)
    {
        RefuseUnderCapture($"reads a tensor {device.Shape} back to the host");
        CheckPair(host, device);
        MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemcpyDtoHAsync(host.Pointer, device.DeviceAddress, (nuint)host.ByteLength, Stream.Handle), "cuMemcpyDtoHAsync_v2");
    }

    /// <summary>Queues a device-to-device copy of equal byte lengths.</summary>
    public void Copy(Tensor source, Tensor destination)
    {
        if (source.ByteLength != destination.ByteLength)
            throw new ShapeException($"cannot copy {source.Shape} {source.DType.Name()} into {destination.Shape} {destination.DType.Name()}");
        if (!Issues(new OpSignature("cuMemcpyDtoDAsync").Add(destination.DeviceAddress).Add(source.DeviceAddress).Add(source.ByteLength))) return;
        MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemcpyDtoDAsync(destination.DeviceAddress, source.DeviceAddress, (nuint)source.ByteLength, Stream.Handle), "cuMemcpyDtoDAsync_v2");
    }

    private static void CheckPair(Tensor host, Tensor device)
    {
        if (host.DType != device.DType || host.Count != device.Count)
            throw new ShapeException($"host {host.Shape} {host.DType.Name()} and device {device.Shape} {device.DType.Name()} differ");
    }

    public void Dispose()
    {
        if (_context == IntPtr.Zero) return;
        MakeCurrent();
        Stream.Synchronize();
        _cublas?.Dispose();
        Pool.Dispose();
        Stream.Dispose();
        CudaCheck.Driver(CudaDriverApi.cuDevicePrimaryCtxRelease(_device), "cuDevicePrimaryCtxRelease_v2");
        _context = IntPtr.Zero;
    }
}
