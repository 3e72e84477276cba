using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// A captured sequence of a stream's launches, replayed with one call: the launches are recorded once on
/// fixed device addresses, so every buffer they touch must stay allocated (and at the same address) for
/// as long as the graph is replayed.
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

    /// <summary>Runs <paramref name="work"/> under capture on <paramref name="stream"/> (nothing executes) and instantiates the graph.</summary>
    public static CudaGraph Capture(CudaContext context, CudaStream stream, Action work)
    {
        context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuStreamBeginCapture(stream.Handle, CudaDriverApi.StreamCaptureModeThreadLocal), "cuStreamBeginCapture_v2");
        IntPtr graph = IntPtr.Zero;
        try
        {
            work();
        }
        finally
        {
            CudaCheck.Driver(CudaDriverApi.cuStreamEndCapture(stream.Handle, &graph), "cuStreamEndCapture");
        }
        IntPtr executable;
        CudaCheck.Driver(CudaDriverApi.cuGraphInstantiateWithFlags(&executable, graph, 0), "cuGraphInstantiateWithFlags");
        return new CudaGraph(context, graph, executable);
    }

    public void Launch(CudaStream stream) =>
        CudaCheck.Driver(CudaDriverApi.cuGraphLaunch(_executable, stream.Handle), "cuGraphLaunch");

    public void Dispose()
    {
        if (_graph == IntPtr.Zero) return;
        _context.MakeCurrent();
        CudaCheck.Driver(CudaDriverApi.cuGraphExecDestroy(_executable), "cuGraphExecDestroy");
        CudaCheck.Driver(CudaDriverApi.cuGraphDestroy(_graph), "cuGraphDestroy");
        _graph = _executable = IntPtr.Zero;
    }
}
