using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>An ordered queue of device work (a non-blocking CUDA stream).</summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly CudaContext _context;

    internal CudaStream(CudaContext context)
    {
        _context = context;
        context.MakeCurrent();
        IntPtr handle;
        CudaCheck.Driver(CudaDriverApi.cuStreamCreate(&handle, CudaDriverApi.StreamNonBlocking), "cuStreamCreate");
        Handle = handle;
    }

    public IntPtr Handle { get; private set; }

    /// <summary>Waits until every queued operation has finished; kernel faults surface here.</summary>
    public void Synchronize()
    {
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuStreamSynchronize(Handle), "cuStreamSynchronize");
    }

    /// <summary>Later work on this stream waits for <paramref name="recorded"/>.</summary>
    public void Wait(CudaEvent recorded) =>
        CudaCheck.Driver(CudaDriverApi.cuStreamWaitEvent(Handle, recorded.Handle, 0), "cuStreamWaitEvent");

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuStreamDestroy(Handle), "cuStreamDestroy_v2");
        Handle = IntPtr.Zero;
    }
}
