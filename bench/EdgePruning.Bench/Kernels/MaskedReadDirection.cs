namespace EdgePruning.Bench.Kernels;

/// <summary>Which half of a masked read a benchmark times.</summary>
public enum MaskedReadDirection
{
    /// <summary>y (and the norm statistics) from z, D and C.</summary>
    Forward,
    /// <summary>dz, dD and dC from dY (the forward's statistics or input kept).</summary>
    Backward,
}
