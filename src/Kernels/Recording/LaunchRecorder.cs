namespace EdgePruning.Kernels.Recording;

/// <summary>
/// Where recording kernel sets append their launches: the graph being recorded and the switch that says
/// whether calls are recorded. Kernel sets that share a recorder (those of a <see cref="RecordingBackend"/>)
/// record into one graph, in issue order.
/// </summary>
public sealed class LaunchRecorder
{
    private LaunchGraph _graph = new();

    /// <summary>Whether calls are recorded; when false they are only forwarded.</summary>
    public bool IsRecording { get; set; } = true;

    /// <summary>The launches recorded since construction or the last <see cref="Restart"/>.</summary>
    public LaunchGraph Graph => _graph;

    /// <summary>Hands back the graph recorded so far and starts an empty one.</summary>
    public LaunchGraph Restart() => Interlocked.Exchange(ref _graph, new LaunchGraph());

    internal void Add(KernelLaunch launch) => _graph.Add(launch);
}
