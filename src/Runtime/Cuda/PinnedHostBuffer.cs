using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Page-locked host memory (cuMemAllocHost_v2): the staging area of asynchronous copies, which the
/// device reads and writes by DMA while the host goes on. A host storage, so host tensors can view it.
/// </summary>
public sealed unsafe class PinnedHostBuffer : HostStorage, IDisposable
{
    private readonly CudaContext _context;
    private void* _pointer;

    internal PinnedHostBuffer(CudaContext context, long bytes)
    {
        _context = context;
        context.MakeCurrent();
        void* pointer;
        CudaCheck.Driver(CudaDriverApi.cuMemAllocHost(&pointer, (nuint)Math.Max(bytes, 1)), $"cuMemAllocHost_v2 of {bytes:N0} bytes");
        _pointer = pointer;
        ByteLength = bytes;
    }

    public override byte* Pointer => _pointer != null ? (byte*)_pointer : throw new ObjectDisposedException(nameof(PinnedHostBuffer));
    public override long ByteLength { get; }

    public void Dispose()
    {
        if (_pointer == null) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuMemFreeHost(_pointer), "cuMemFreeHost");
        _pointer = null;
    }
}
