namespace EdgePruning.Pruning.Masking;

/// <summary>
/// How <see cref="EdgeMaskedModel.Forward"/> computes a pass; every setting gives the same values up to rounding.
/// </summary>
/// <param name="Read">The masked-read path of every reader group.</param>
/// <param name="Recompute">
/// Per-layer recomputation: the forward keeps only the difference stack and the corrupted sum at each layer's
/// start; the backward runs each layer's forward again just before its backward, so one layer's tensors are
/// live at a time (<see cref="Planning.ActivationSchedule.RecomputePerLayer"/>) at the cost of one more forward.
/// </param>
public sealed record MaskedPassSettings(MaskedReadPath Read = MaskedReadPath.Auto, bool Recompute = false)
{
    public static MaskedPassSettings Default { get; } = new();
}
