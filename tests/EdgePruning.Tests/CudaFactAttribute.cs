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

    /// <summary>Whether the check also needs ../shared: then skipped, with the reason, without it.</summary>
    public bool Shared
    {
        get => false;
        set
        {
            if (Skip is null && value && SharedData.Root is null) Skip = "needs ../shared (models and task data beside the checkout); not found";
        }
    }

    /// <summary>
    /// Why the check does not pass under the CUDA emulator yet (a finding still open, named in the reason): there it is
    /// skipped with that reason; on a real GPU it runs.
    /// </summary>
    public string? NotUnderEmulator
    {
        get => null;
        set
        {
            if (Skip is null && value is not null && EdgePruning.Runtime.Cuda.Native.CudaLibraryResolver.EmulatorVersion() is not null)
                Skip = $"open under the CUDA emulator: {value}";
        }
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

/// <summary>A fact about the CUDA emulator's checks (tests/CudaEmulator): skipped on a real GPU and where no CUDA backend opens.</summary>
public sealed class EmulatedCudaFactAttribute : FactAttribute
{
    public EmulatedCudaFactAttribute()
    {
        if (CudaProbe.UnavailableReason is { } reason) Skip = $"no CUDA device: {reason}";
        else if (EdgePruning.Runtime.Cuda.Native.CudaLibraryResolver.EmulatorVersion() is null)
            Skip = "the CUDA driver is a real one; these checks need the CUDA emulator (dotnet pwsh build.ps1 emulator)";
    }

    /// <summary>Whether the check also needs ../shared: then skipped, with the reason, without it.</summary>
    public bool Shared
    {
        get => false;
        set
        {
            if (Skip is null && value && SharedData.Root is null) Skip = "needs ../shared (models and task data beside the checkout); not found";
        }
    }
}
