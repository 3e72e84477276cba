using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>A marker in a stream: to wait for, or to time the work between two of them.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly CudaContext _context;

    internal CudaEvent(CudaContext context)
    {
        _context = context;
        context.MakeCurrent();
        IntPtr handle;
        CudaCheck.Driver(CudaDriverApi.cuEventCreate(&handle, CudaDriverApi.EventDefault), "cuEventCreate");
        Handle = handle;
    }

    public IntPtr Handle { get; private set; }

    public void Record(CudaStream stream) =>
        CudaCheck.Driver(CudaDriverApi.cuEventRecord(Handle, stream.Handle), "cuEventRecord");

    public void Synchronize() => CudaCheck.Driver(CudaDriverApi.cuEventSynchronize(Handle), "cuEventSynchronize");

    /// <summary>Milliseconds between <paramref name="start"/> and this event (both recorded and reached).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        Synchronize();
        float ms;
        CudaCheck.Driver(CudaDriverApi.cuEventElapsedTime(&ms, start.Handle, Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuEventDestroy(Handle), "cuEventDestroy_v2");
        Handle = IntPtr.Zero;
    }
}
