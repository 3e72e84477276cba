using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// Where recording kernel sets append their launches: the graph being recorded and the switches that say
/// whether calls are recorded and whether they also run. Kernel sets that share a recorder (those of a
/// <see cref="RecordingBackend"/>) record into one graph, in issue order. While a graph is fed
/// (<see cref="StartFeed"/>), a launch is not appended but checked against the graph's next one, whose host
/// arrays then take the new launch's values.
/// </summary>
public sealed class LaunchRecorder
{
    private LaunchGraph _graph = new();
    private IReadOnlyList<KernelLaunch>? _fed;
    private int _cursor;

    /// <summary>Whether calls are recorded; when false they are only forwarded.</summary>
    public bool IsRecording { get; set; } = true;

    /// <summary>
    /// Whether calls run on the inner kernels; false while work is captured or fed (capturing a CUDA graph
    /// does not run the work either). A call that does not run is not checked by the inner kernels.
    /// </summary>
    public bool Executes { get; set; } = true;

    /// <summary>The launches recorded since construction or the last <see cref="Restart"/>.</summary>
    public LaunchGraph Graph => _graph;

    /// <summary>Hands back the graph recorded so far and starts an empty one.</summary>
    public LaunchGraph Restart() => Interlocked.Exchange(ref _graph, new LaunchGraph());

    /// <summary>Makes <paramref name="graph"/> the graph being recorded again (after a capture recorded into its own).</summary>
    internal void Resume(LaunchGraph graph) => _graph = graph;

    /// <summary>From now on, launches are checked against <paramref name="graph"/>'s, in order, and feed it their host arrays.</summary>
    internal void StartFeed(LaunchGraph graph)
    {
        _fed = graph.Launches;
        _cursor = 0;
    }

    /// <summary>Stops feeding; returns how many launches were fed.</summary>
    internal int EndFeed()
    {
        _fed = null;
        return _cursor;
    }

    internal void Add(KernelLaunch launch)
    {
        if (_fed is null)
        {
            _graph.Add(launch);
            return;
        }
        if (_cursor >= _fed.Count)
            throw new CaptureMismatchException($"launch {_cursor}: {launch.Name} here, none in the captured work ({_fed.Count} launches)");
        var captured = _fed[_cursor];
        if ((LaunchComparison.FirstDifference(captured, launch) ?? DifferentTensor(captured, launch)) is { } difference)
            throw new CaptureMismatchException($"launch {_cursor}: {difference}");
        for (int i = 0; i < launch.HostArrays.Count; i++)
            Array.Copy(launch.HostArrays[i].Values, captured.HostArrays[i].Values, launch.HostArrays[i].Values.Length);
        _cursor++;
    }

    private static string? DifferentTensor(KernelLaunch captured, KernelLaunch launch)
    {
        for (int i = 0; i < captured.Tensors.Count; i++)
            if (captured.Tensors[i].Address != launch.Tensors[i].Address)
                return $"{launch.Name}: tensor {launch.Tensors[i]} is not the captured {captured.Tensors[i]}";
        return null;
    }
}
