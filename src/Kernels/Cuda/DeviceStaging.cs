using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// Small host inputs of a kernel (token ids, key masks) copied into one device buffer that every call
/// reuses, as 32-bit words. The words go through a pageable host array: for a copy from pageable memory
/// the driver has taken the bytes before cuMemcpyHtoDAsync returns, so the array (and the caller's span)
/// may change at once, while the device side stays ordered by the stream: a later upload overwrites the
/// buffer only after the kernels queued before it have read it. Pinned memory would make the copy truly
/// asynchronous and then need an event wait before each reuse. Not for CUDA graph capture: a replayed graph
/// would not see the host words of later calls.
/// </summary>
internal sealed unsafe class DeviceStaging : IDisposable
{
    private const int InitialWords = 16 * 1024;

    private readonly CudaContext _context;
    private ArrayStorage _host;
    private Tensor _device;
    private int _capacity;

    /// <summary>Rents the device buffer at once, so that the pool count it adds stays the same for the staging's life.</summary>
    public DeviceStaging(CudaContext context)
    {
        _context = context;
        _capacity = InitialWords;
        _host = new ArrayStorage((long)_capacity * sizeof(int), zeroed: false);
        _device = context.Empty(DType.F32, _capacity);
    }

    /// <summary>The values on the device (a view of the staging buffer, valid until the next upload queues its copy).</summary>
    public Tensor Upload(ReadOnlySpan<int> values)
    {
        values.CopyTo(Words(values.Length));
        return Send(values.Length);
    }

    /// <summary>The flags on the device as words, 1 for true and 0 for false.</summary>
    public Tensor Upload(ReadOnlySpan<bool> flags)
    {
        var words = Words(flags.Length);
        for (int i = 0; i < flags.Length; i++) words[i] = flags[i] ? 1 : 0;
        return Send(flags.Length);
    }

    private Span<int> Words(int count)
    {
        if (count > _capacity)
        {
            int capacity = (int)Math.Min(Array.MaxLength / sizeof(int), Math.Max(count, 2L * _capacity));
            var device = _context.Empty(DType.F32, capacity);
            CudaContext.Release(_device);
            _device = device;
            _host = new ArrayStorage((long)capacity * sizeof(int), zeroed: false);
            _capacity = capacity;
        }
        return new Span<int>(_host.Pointer, count);
    }

    /// <remarks>The tensors are typed f32 only for their 4-byte elements; kernels read the words as int.</remarks>
    private Tensor Send(int count)
    {
        var device = _device.Rows(0, count);
        if (count > 0) _context.CopyToDevice(Tensor.Wrap(_host, 0, DType.F32, count), device);
        return device;
    }

    public void Dispose() => CudaContext.Release(_device);
}
