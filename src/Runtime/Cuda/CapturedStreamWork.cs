using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Work captured on a context's stream as one <see cref="CudaGraph"/>, with what launching it again needs.
/// <list type="bullet">
/// <item>Memory: while the work is captured its allocations come from a pool of its own, which keeps every
/// block (the graph writes them at every launch) until the work is disposed; blocks given back during the
/// capture are reused within it, as they would be by a direct run.</item>
/// <item>Inputs: each copy from the host goes through a pinned slot of its own that the graph copies from, so
/// a later run's values reach the graph by a host write into the slot.</item>
/// <item>A log of every operation's <see cref="OpSignature"/>, in order.</item>
/// </list>
/// <see cref="Feed"/> runs the work again with nothing issued: the n-th allocation hands back the n-th captured
/// block, each operation's signature is checked against the log, and each copy from the host writes its
/// slot. Since allocations repeat their addresses, a feed that passes issues exactly what the graph does.
/// Reading back or waiting inside the work cannot be captured (<see cref="CaptureUnsupportedException"/>).
/// </summary>
public sealed unsafe class CapturedStreamWork : IDisposable
{
    private readonly CudaContext _context;
    private readonly DeviceMemoryPool _memory;
    private readonly List<OpSignature> _ops = [];
    private readonly List<DeviceBuffer> _allocations = [];
    private readonly List<PinnedHostBuffer> _slots = [];
    private CudaGraph? _graph;
    private bool _feeding;
    private int _op, _allocation, _slot;

    private CapturedStreamWork(CudaContext context)
    {
        _context = context;
        _memory = new DeviceMemoryPool(new DriverAllocator(context), context.Location);
    }

    /// <summary>Operations and allocations the graph holds.</summary>
    public int Operations => _ops.Count + _allocations.Count;

    /// <summary>Device bytes the work's own pool holds.</summary>
    public long ReservedBytes => _memory.ReservedBytes;

    /// <summary>
    /// Captures <paramref name="work"/> on the context's stream (nothing executes). The context's pool first
    /// gives its cached blocks back, so that the work's own pool does not double the step's memory.
    /// </summary>
    public static CapturedStreamWork Capture(CudaContext context, Action work)
    {
        if (context.Work is not null) throw new InvalidOperationException("work is already being captured or fed on this context");
        context.Synchronize();
        context.Pool.Trim();
        var captured = new CapturedStreamWork(context);
        try
        {
            captured._graph = CudaGraph.Capture(context, context.Stream, () =>
            {
                context.Work = captured;
                try
                {
                    work();
                }
                finally
                {
                    context.Work = null;
                }
            }, relaxed: true);
        }
        catch
        {
            captured.Dispose();
            throw;
        }
        return captured;
    }

    /// <summary>
    /// Runs <paramref name="work"/> again without issuing anything, writing its host inputs into the slots;
    /// false, with the first difference, when it does not issue exactly the captured work.
    /// </summary>
    public bool Feed(Action work, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? difference)
    {
        if (_context.Work is not null) throw new InvalidOperationException("work is already being captured or fed on this context");
        _context.Synchronize(); // the last launch may still be reading the slots
        _feeding = true;
        _op = _allocation = _slot = 0;
        _context.Work = this;
        try
        {
            work();
        }
        catch (CaptureMismatchException e)
        {
            difference = e.Message;
            return false;
        }
        finally
        {
            _context.Work = null;
            _feeding = false;
        }
        difference = _op != _ops.Count ? $"{_op} operations here, {_ops.Count} in the captured work"
            : _allocation != _allocations.Count ? $"{_allocation} allocations here, {_allocations.Count} in the captured work"
            : null;
        return difference is null;
    }

    /// <summary>Queues the graph on the context's stream.</summary>
    public void Launch()
    {
        if (_graph is null) throw new ObjectDisposedException(nameof(CapturedStreamWork));
        _graph.Launch(_context.Stream);
    }

    /// <summary>Logs an operation under capture (true: issue it); checks it while feeding (false: do not issue it).</summary>
    internal bool Issue(OpSignature op)
    {
        if (!_feeding)
        {
            _ops.Add(op);
            return true;
        }
        if (_op >= _ops.Count)
            throw new CaptureMismatchException($"operation {_op}: {op.Name} here, none in the captured work ({_ops.Count} operations)");
        var captured = _ops[_op];
        if (captured.Name != op.Name || captured.Value != op.Value)
            throw new CaptureMismatchException($"operation {_op}: {op.Name} with other arguments than the captured {captured.Name}");
        _op++;
        return false;
    }

    /// <summary>A block of the work's own pool under capture; the captured block of the same turn while feeding.</summary>
    internal DeviceBuffer Rent(long bytes)
    {
        if (!_feeding)
        {
            var buffer = _memory.Rent(bytes);
            _allocations.Add(buffer);
            return buffer;
        }
        if (_allocation >= _allocations.Count)
            throw new CaptureMismatchException($"allocation {_allocation}: {bytes:N0} bytes here, none in the captured work");
        var block = _allocations[_allocation];
        if (block.ByteLength != bytes)
            throw new CaptureMismatchException($"allocation {_allocation}: {bytes:N0} bytes here, {block.ByteLength:N0} in the captured work");
        _allocation++;
        // Not the pool's: disposing it gives nothing back.
        return new DeviceBuffer(_memory, block.DeviceAddress, bytes, block.BlockBytes, _context.Location);
    }

    /// <summary>A copy of host bytes to a device address, through the next slot (captured, or written while feeding).</summary>
    internal void CopyToDevice(void* host, long bytes, ulong address)
    {
        var op = new OpSignature("cuMemcpyHtoDAsync").Add(address).Add(bytes);
        bool issue = Issue(op);
        PinnedHostBuffer slot;
        if (issue)
        {
            slot = _context.AllocatePinned(bytes);
            _slots.Add(slot);
        }
        else
        {
            slot = _slots[_slot++];
        }
        Buffer.MemoryCopy(host, slot.Pointer, bytes, bytes);
        if (!issue) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemcpyHtoDAsync(address, slot.Pointer, (nuint)bytes, _context.Stream.Handle), "cuMemcpyHtoDAsync_v2");
    }

    public void Dispose()
    {
        _graph?.Dispose();
        _graph = null;
        foreach (var slot in _slots) slot.Dispose();
        _slots.Clear();
        _allocations.Clear();
        // Frees the blocks given back; a block something still holds (made during the capture to outlive it) is
        // freed when its holder gives it back.
        _memory.Dispose();
    }
}
