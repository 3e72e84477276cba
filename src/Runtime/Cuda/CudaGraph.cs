using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// A captured sequence of a stream's launches, replayed with one call: the launches are recorded once on
/// fixed device addresses, so every buffer they touch must stay allocated (and at the same address) for
/// as long as the graph is replayed. <see cref="CapturedStreamWork"/> keeps those buffers and feeds the
/// graph new inputs.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly CudaContext _context;
    private IntPtr _graph, _executable;

    private CudaGraph(CudaContext context, IntPtr graph, IntPtr executable)
    {
        _context = context;
        _graph = graph;
        _executable = executable;
    }

    /// <summary>
    /// Runs <paramref name="work"/> under capture on <paramref name="stream"/> (nothing executes) and instantiates
    /// the graph. In relaxed mode the work may allocate device and pinned memory while it is captured. When the
    /// work throws, the capture is ended and dropped and the work's exception goes on.
    /// </summary>
    public static CudaGraph Capture(CudaContext context, CudaStream stream, Action work, bool relaxed = false)
    {
        context.MakeCurrent();
        int mode = relaxed ? CudaDriverApi.StreamCaptureModeRelaxed : CudaDriverApi.StreamCaptureModeThreadLocal;
        CudaCheck.Driver(CudaDriverApi.cuStreamBeginCapture(stream.Handle, mode), "cuStreamBeginCapture_v2");
        IntPtr graph = IntPtr.Zero;
        try
        {
            work();
        }
        catch
        {
            context.MakeCurrent();
            if (CudaDriverApi.cuStreamEndCapture(stream.Handle, &graph) == 0 && graph != IntPtr.Zero) CudaDriverApi.cuGraphDestroy(graph);
            throw;
        }
        context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuStreamEndCapture(stream.Handle, &graph), "cuStreamEndCapture");
        IntPtr executable;
        int status = CudaDriverApi.cuGraphInstantiateWithFlags(&executable, graph, 0);
        if (status != 0)
        {
            CudaDriverApi.cuGraphDestroy(graph);
            CudaCheck.Driver(status, "cuGraphInstantiateWithFlags");
        }
        return new CudaGraph(context, graph, executable);
    }

    public void Launch(CudaStream stream)
    {
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuGraphLaunch(_executable, stream.Handle), "cuGraphLaunch");
    }

    public void Dispose()
    {
        if (_graph == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuGraphExecDestroy(_executable), "cuGraphExecDestroy");
        CudaCheck.Driver(CudaDriverApi.cuGraphDestroy(_graph), "cuGraphDestroy");
        _graph = _executable = IntPtr.Zero;
    }
}
