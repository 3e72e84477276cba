namespace EdgePruning.Kernels.Recording;

/// <summary>
/// The kernel launches of a piece of work (a forward, a whole training step), in issue order: the CPU
/// counterpart of a captured CUDA graph. <see cref="Replay"/> issues every launch again on the same
/// tensors, so the work is redone on new contents of its fixed buffers without rerunning the code that
/// decided the launches. Tensors held by a graph stay alive as long as the graph does.
/// </summary>
public sealed class LaunchGraph
{
    private readonly List<KernelLaunch> _launches = [];
    private readonly object _gate = new();

    public IReadOnlyList<KernelLaunch> Launches
    {
        get { lock (_gate) return _launches.ToArray(); }
    }

    public int Count
    {
        get { lock (_gate) return _launches.Count; }
    }

    internal void Add(KernelLaunch launch)
    {
        lock (_gate) _launches.Add(launch);
    }

    /// <summary>Issues every recorded launch, in order, on <paramref name="kernels"/>.</summary>
    public void Replay(IKernels kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        foreach (var launch in Launches) launch.Replay(kernels);
    }

    /// <summary>Launches per kind and the total matrix-product work.</summary>
    public LaunchSummary Summarize()
    {
        var launches = Launches;
        var byKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        double flops = 0;
        foreach (var l in launches)
        {
            byKind[l.Kind] = byKind.GetValueOrDefault(l.Kind) + 1;
            flops += l.Flops;
        }
        return new LaunchSummary(launches.Count, byKind, flops);
    }
}
