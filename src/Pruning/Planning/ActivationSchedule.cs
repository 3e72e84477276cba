namespace EdgePruning.Pruning.Planning;

/// <summary>Which layers' activations a training step holds at its peak.</summary>
public enum ActivationSchedule
{
    /// <summary>
    /// The CPU trainer today: the tape keeps every layer's forward tensors and every backward tensor
    /// until the micro-batch ends, and the corrupted run's layer tensors stay in the step arena beside them.
    /// </summary>
    KeepAllLayers,

    /// <summary>
    /// The design for the GPU (DESIGN.md §1): only the node outputs are kept for the step; each layer's
    /// forward is recomputed in the backward, so one layer's tensors (forward and backward) are live at a time.
    /// </summary>
    RecomputePerLayer,
}
