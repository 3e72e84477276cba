using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// One comparison of a candidate backend against the oracle: which primitive (or model), in which dtype, on
/// which shape; the largest absolute error, the largest relative error (|a − b| / (|b| + s) with s the result's
/// typical size, atol/rtol, so that elements near zero do not dominate and a check passes exactly when it is
/// ≤ rtol), the tolerance it was held to, and the outcome. <see cref="Detail"/>
/// names the worst element, the exception that stopped the check, or why it could not run.
/// </summary>
public sealed record ParityCheck(
    string Name,
    DType DType,
    string Shape,
    ParityStatus Status,
    double MaxAbsError,
    double MaxRelError,
    ParityTolerance Tolerance,
    string? Detail = null)
{
    public bool Passed => Status == ParityStatus.Passed;

    /// <summary>A failed check for an exception thrown while it ran.</summary>
    public static ParityCheck Crashed(string name, DType dtype, string shape, Exception e) =>
        new(name, dtype, shape, ParityStatus.Failed, double.NaN, double.NaN, default, $"{e.GetType().Name}: {e.Message}");

    /// <summary>A check that cannot run on this backend yet, with the reason.</summary>
    public static ParityCheck NotRun(string name, DType dtype, string shape, string reason) =>
        new(name, dtype, shape, ParityStatus.NotRun, double.NaN, double.NaN, default, reason);
}
