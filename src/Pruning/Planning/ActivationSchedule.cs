namespace EdgePruning.Pruning.Planning;

/// <summary>Which layers' activations a training step holds at its peak.</summary>
public enum ActivationSchedule
{
    /// <summary>
    /// The tape keeps every layer's forward tensors and every backward tensor until the micro-batch ends
    /// (<see cref="Masking.MaskedPassSettings.Recompute"/> off).
    /// </summary>
    KeepAllLayers,

    /// <summary>
    /// Per-layer recomputation (DESIGN.md §1, <see cref="Masking.MaskedPassSettings.Recompute"/> on): the forward
    /// keeps the difference stack and each layer's starting corrupted sum; the backward runs each layer's forward
    /// again, so one layer's tensors (forward and backward) are live at a time.
    /// </summary>
    RecomputePerLayer,
}
