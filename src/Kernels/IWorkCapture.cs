namespace EdgePruning.Kernels;

/// <summary>
/// A backend that can capture a piece of work (a whole training step) once and launch it again as one
/// graph: on a GPU a CUDA graph, so that a step's hundreds of kernel launches cost one launch.
/// <para>
/// Capturing does not run the work. Work that can be captured issues the same launches on the same
/// tensors every time and takes its new inputs only through the host arrays of its launches (token ids,
/// key masks, KL rows) and <see cref="IKernelBackend.CopyFromHost"/>; it never reads a result back
/// (<see cref="IKernelBackend.Download"/>) or waits (<see cref="IKernelBackend.Synchronize"/>) inside.
/// Its results go into tensors made before the capture, read after <see cref="ICapturedWork.Launch"/>.
/// </para>
/// </summary>
public interface IWorkCapture
{
    /// <summary>
    /// Runs <paramref name="work"/> under capture: nothing executes, its launches, copies and allocations are
    /// recorded into the graph returned, which owns the memory the work allocated.
    /// </summary>
    /// <exception cref="Runtime.CaptureUnsupportedException">The work read back or waited.</exception>
    ICapturedWork Capture(Action work);
}
