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

    /// <summary>
    /// Whether a pass under these settings reads fused, for a model of <paramref name="config"/> on a device or not, under
    /// grouped edge masks or not: <see cref="MaskedReadPath.Auto"/> is fused on a device, and for grouped masks on the host
    /// too, when every reader has a norm in front.
    /// </summary>
    public bool ReadsFused(Models.TransformerConfig config, bool onDevice, bool groupedMasks = false) => Read switch
    {
        MaskedReadPath.Fused => true,
        MaskedReadPath.Unfused => false,
        _ => (onDevice || groupedMasks) && FusedReadNorms.Supports(config),
    };
}
