using System.Diagnostics.CodeAnalysis;

namespace EdgePruning.Kernels;

/// <summary>
/// A piece of work captured by an <see cref="IWorkCapture"/> backend. Each run feeds it the run's inputs
/// (<see cref="Feed"/>), then launches it. Disposing it gives back the memory the work allocated.
/// </summary>
public interface ICapturedWork : IDisposable
{
    /// <summary>Launches, copies and allocations the graph holds.</summary>
    int Operations { get; }

    /// <summary>Device memory the graph holds for its work (its own pool on a GPU; 0 where tensors are host memory).</summary>
    long DeviceBytes { get; }

    /// <summary>
    /// Runs <paramref name="work"/> again without issuing anything, only to hand the graph this run's host
    /// inputs, while checking that the work issues exactly what was captured: the same launches with the
    /// same shapes, scalars and tensors, and the same allocations in the same order.
    /// </summary>
    /// <param name="difference">When the work differs: the first difference, in one line. The graph cannot stand
    /// for this run, and its inputs are then partly this run's: capture the work again.</param>
    bool Feed(Action work, [NotNullWhen(false)] out string? difference);

    /// <summary>Queues the whole work with the inputs of the last capture or feed.</summary>
    void Launch();
}
