namespace EdgePruning.Pruning.Sweep;

/// <summary>Where a sweep binarizes an Edge Pruning run's masks.</summary>
public enum SweepReadout
{
    /// <summary>At exactly the requested N edges, whatever sparsity training reached.</summary>
    Size,

    /// <summary>
    /// At the soft masks' own sparsity, where training brought them (the paper's read-out): the point lands at the edge
    /// count the run reached, and EAP and EAP-IG are scored at that same count too, so each Edge Pruning point has
    /// baselines of its own size.
    /// </summary>
    Reached,
}
