namespace EdgePruning.Kernels.Parity;

/// <summary>The outcome of one parity check.</summary>
public enum ParityStatus
{
    /// <summary>Every element within tolerance.</summary>
    Passed,
    /// <summary>An element outside tolerance, a NaN where the oracle has none, or an exception.</summary>
    Failed,
    /// <summary>The check could not run on this backend yet (the detail says why); it neither passes nor fails.</summary>
    NotRun,
}
