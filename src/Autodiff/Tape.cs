namespace EdgePruning.Autodiff;

/// <summary>
/// Records backward steps during a forward pass and runs them in reverse.
/// <para>
/// The gradient convention shared by every op in <c>Ops/</c>: a <c>Backward</c> receives the gradient
/// of the loss with respect to the op's outputs and <b>adds</b> its contribution to the gradients of
/// the inputs (<c>dX += …</c>); it never overwrites, so a tensor read by several ops collects all of
/// their contributions. Gradient tensors belong to the caller, have the shape of the value they belong
/// to and start at zero; an input whose gradient is not wanted is passed as <c>null</c>. Model weights
/// are frozen, so no op computes a weight gradient. Ops that need forward values in their backward
/// (norm statistics, attention probabilities, KL distributions) are instances that keep them, together
/// with references to their inputs, which the caller must leave unchanged until the backward has run.
/// Scalar ops (the Lagrangian, sparsity) follow the same rule through <c>ref</c> accumulators.
/// </para>
/// </summary>
public sealed class Tape
{
    private readonly List<Action> _steps = [];

    /// <param name="recording">false gives a tape that drops everything recorded on it (a forward without gradients).</param>
    public Tape(bool recording = true) => IsRecording = recording;

    public bool IsRecording { get; }

    /// <summary>Backward steps waiting to run.</summary>
    public int Count => _steps.Count;

    /// <summary>Adds a backward step; it runs after every step recorded later.</summary>
    public void Record(Action backward)
    {
        ArgumentNullException.ThrowIfNull(backward);
        if (IsRecording) _steps.Add(backward);
    }

    /// <summary>
    /// Runs <paramref name="segment"/> now without keeping its intermediate values, and again inside the
    /// backward, where its own steps are recorded on a fresh tape and run at once. This trades one more
    /// forward of the segment for its activations (per-layer recomputation). The segment must be
    /// repeatable: it may not modify the tensors it reads from outside, and everything it reads (mask
    /// samples included) must still hold the same values when the backward reaches it. It should allocate
    /// its intermediate gradients itself (only when <see cref="IsRecording"/> is true), so that they live
    /// only while it runs backward; gradients of its inputs and outputs come from the enclosing code.
    /// </summary>
    public void Checkpoint(Action<Tape> segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (!IsRecording)
        {
            segment(this);
            return;
        }
        segment(new Tape(recording: false));
        _steps.Add(() =>
        {
            var inner = new Tape();
            segment(inner);
            inner.Backward();
        });
    }

    /// <summary>Runs the recorded steps last to first and forgets each one as it goes, freeing what it held.</summary>
    public void Backward()
    {
        for (int i = _steps.Count - 1; i >= 0; i--)
        {
            var step = _steps[i];
            _steps.RemoveAt(i);
            step();
        }
    }
}
