using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// Runs the device work of each training step through one captured graph (a CUDA graph on a GPU), so that a
/// step costs one launch instead of hundreds. The first step runs directly: it makes what every later step
/// reuses (cached weights, compiled kernels, pooled memory). The second is captured and launched. Each later
/// step feeds the graph its inputs (token ids, masks, loss rows), which also checks that it issues exactly
/// the captured work, and launches it; a step whose work differs (another sequence length, say) is
/// captured again. Work that cannot be captured (it reads back or waits) runs directly from then on, and
/// <see cref="Unavailable"/> says why.
/// </summary>
public sealed class StepGraph(IWorkCapture capture) : IDisposable
{
    private ICapturedWork? _captured;
    private int _runs;

    /// <summary>Times the work was captured (once, plus once per change of the work).</summary>
    public int Captures { get; private set; }

    /// <summary>Steps launched as a graph.</summary>
    public int GraphLaunches { get; private set; }

    /// <summary>Operations (launches, copies, allocations) of the graph in use; 0 before the first capture.</summary>
    public int Operations => _captured?.Operations ?? 0;

    /// <summary>Device memory the graph in use holds for its work, beside the backend's pool.</summary>
    public long DeviceBytes => _captured?.DeviceBytes ?? 0;

    /// <summary>Why the last capture again was needed: the first difference between the work and the graph.</summary>
    public string? LastDifference { get; private set; }

    /// <summary>Why steps run directly instead (null while graphs are in use).</summary>
    public string? Unavailable { get; private set; }

    public void Run(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_runs++ == 0 || Unavailable is not null)
        {
            work();
            return;
        }
        if (_captured is not null)
        {
            if (_captured.Feed(work, out var difference))
            {
                Launch();
                return;
            }
            LastDifference = difference;
            _captured.Dispose();
            _captured = null;
        }
        try
        {
            _captured = capture.Capture(work);
        }
        catch (CaptureUnsupportedException e)
        {
            Unavailable = e.Message;
            work();
            return;
        }
        Captures++;
        Launch();
    }

    private void Launch()
    {
        _captured!.Launch();
        GraphLaunches++;
    }

    public void Dispose()
    {
        _captured?.Dispose();
        _captured = null;
    }
}
