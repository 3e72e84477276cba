namespace EdgePruning.Pruning.Masking;

/// <summary>How the readers of a layer read their inputs from the difference stack.</summary>
public enum MaskedReadPath
{
    /// <summary>
    /// Fused on a GPU (where it saves the traffic), unfused on the host (where both cost the same), except under grouped
    /// edge masks, whose unfused read regroups the stack with row gathers that the fused read does without.
    /// </summary>
    Auto,

    /// <summary>
    /// The fused masked read (<see cref="Kernels.IKernelBackend.MaskedRead"/>): every reader's normed input in one
    /// pass over the stack, the read's input x never stored (the backward recomputes it), the stack gradient in f32.
    /// Needs a LayerNorm or RMSNorm in front of each reader.
    /// </summary>
    Fused,

    /// <summary>A copy of the corrupted sum per reader, one matrix product over the stack, then the norm kernel.</summary>
    Unfused,
}
