using System.Diagnostics.CodeAnalysis;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// The kernel launches of a piece of work (a forward, a whole training step), in issue order: the CPU
/// counterpart of a captured CUDA graph. <see cref="Replay(IKernelBackend)"/> issues every launch again on the
/// same tensors, so the work is redone on new contents of its fixed buffers without rerunning the code that
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

    /// <summary>
    /// Issues every recorded launch, in order, on <paramref name="kernels"/>. The graph must hold launches of
    /// <see cref="KernelFamily.Kernels"/> only (else nothing is issued); replay any other on a backend.
    /// </summary>
    public void Replay(IKernels kernels)
    {
        ArgumentNullException.ThrowIfNull(kernels);
        var launches = Launches;
        var other = launches.FirstOrDefault(l => l.Family != KernelFamily.Kernels);
        if (other is not null)
            throw new InvalidOperationException($"the graph holds {other.Family} launches ({other.Name} first): replay it on a backend");
        foreach (var launch in launches) launch.Replay(kernels);
    }

    /// <summary>Issues every recorded launch, in order, on the kernel set of <paramref name="backend"/> it belongs to.</summary>
    public void Replay(IKernelBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        foreach (var launch in Launches) launch.Replay(backend);
    }

    /// <summary>
    /// Whether <paramref name="other"/> issues the same launches: the same kinds in the same order, with tensors
    /// of the same roles, shapes and dtypes, equal scalars and host arrays of the same lengths. Which tensors
    /// they are (addresses) and what the host arrays hold (inputs a replay reads again) are not compared. This
    /// is what must hold for one captured graph to stand for both pieces of work.
    /// </summary>
    /// <param name="firstDifference">When they differ: a line naming the first launch that differs and how.</param>
    public bool SameLaunchesAs(LaunchGraph other, [NotNullWhen(false)] out string? firstDifference)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = Launches;
        var theirs = other.Launches;
        int common = Math.Min(mine.Count, theirs.Count);
        for (int i = 0; i < common; i++)
        {
            if (LaunchComparison.FirstDifference(mine[i], theirs[i]) is { } difference)
            {
                firstDifference = $"launch {i}: {difference}";
                return false;
            }
        }
        if (mine.Count != theirs.Count)
        {
            var extra = mine.Count > common ? $"{mine[common].Name} here, none in the other" : $"none here, {theirs[common].Name} in the other";
            firstDifference = $"launch {common}: {extra} ({mine.Count} launches ≠ {theirs.Count})";
            return false;
        }
        firstDifference = null;
        return true;
    }

    /// <summary>Launches per family and per kind, and the total matrix-product work.</summary>
    public LaunchSummary Summarize()
    {
        var launches = Launches;
        var byKind = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byFamily = new SortedDictionary<KernelFamily, int>();
        double flops = 0;
        foreach (var l in launches)
        {
            byKind[l.Name] = byKind.GetValueOrDefault(l.Name) + 1;
            byFamily[l.Family] = byFamily.GetValueOrDefault(l.Family) + 1;
            flops += l.Flops;
        }
        return new LaunchSummary(launches.Count, byFamily, byKind, flops);
    }
}
