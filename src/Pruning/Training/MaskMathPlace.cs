namespace EdgePruning.Pruning.Training;

/// <summary>
/// Where the trainer samples the edge masks and runs their optimizer: on the host (SIMD, every core) or on the
/// model's backend, where log α, the AdamW moments, the noise, the sample and its gradient stay from step to step
/// (<see cref="DeviceMaskState"/>), so that a step moves a few scalars instead of the masks and their gradients.
/// </summary>
public enum MaskMathPlace
{
    /// <summary>On the device when the model is on a device, trains on one GPU and has at least
    /// <see cref="PruningOptions.DeviceMaskThreshold"/> edges; else on the host.</summary>
    Auto,
    Host,
    /// <summary>On the model's backend whatever the mask count (needs a model built on a backend, one device).</summary>
    Device,
}
