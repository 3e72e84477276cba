using EdgePruning.Kernels;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Tests;

/// <summary>Whether this machine can open a CUDA backend, asked once: null when it can, else the reason it cannot.</summary>
public static class CudaProbe
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        try
        {
            using var backend = KernelBackends.Open("cuda");
            return null;
        }
        catch (CudaUnavailableException e)
        {
            return e.Message;
        }
    });

    public static string? UnavailableReason => Reason.Value;
}

/// <summary>A fact that needs a CUDA device: skipped with "no CUDA device: reason" when the CUDA backend cannot be opened.</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (CudaProbe.UnavailableReason is { } reason) Skip = $"no CUDA device: {reason}";
    }
}

/// <summary>A fact about what happens without a usable CUDA device: skipped where one is present.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (CudaProbe.UnavailableReason is null) Skip = "a CUDA device is present; the no-device path is not reachable here";
    }
}
