namespace EdgePruning.Tests.Frontends;

/// <summary>
/// python/tests (unittest, the machine's python3) against the freshly built libedgeprune and this build's CLI:
/// the Pythonic API, progress and cancellation, errors as exceptions, the same circuit as the CLI on a Tracr
/// model, and 1,000 open/close cycles without leaked handles or memory.
/// </summary>
public class PythonPackageTests
{
    [PythonFact]
    public void PythonUnitTests_PassAgainstTheNativeLibrary()
    {
        var (library, log) = NativeLibrary.Get();
        Assert.True(library is not null, "dotnet publish src/Native (NativeAOT) failed:\n" + log);
        string cli = Path.Combine(AppContext.BaseDirectory, "edgeprune.dll");
        var env = new Dictionary<string, string>
        {
            ["EDGEPRUNE_LIB"] = library!,
            ["EDGEPRUNE_CLI"] = $"dotnet {cli}",
            ["PYTHONDONTWRITEBYTECODE"] = "1",
        };
        if (SharedData.Root is { } shared) env["EDGEPRUNE_SHARED"] = shared;
        // The library opens the GPU (or the CUDA emulator this test process points at) where one is usable.
        if (CudaProbe.UnavailableReason is null) env["EDGEPRUNE_TEST_CUDA"] = "1";
        var (code, stdout, stderr) = ExternalTool.Run(PythonFactAttribute.Python!, ["-m", "unittest", "discover", "-s", "tests", "-v"],
            Path.Combine(NativeLibrary.Root, "python"), env);
        Assert.True(code == 0, $"python3 -m unittest failed ({code}):\n{stdout}\n{stderr}");
        Assert.DoesNotContain("skipped", stderr, StringComparison.Ordinal);
    }
}

/// <summary>A fact that needs python3 on PATH: skipped, with the reason shown, without it.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public static readonly string? Python = ExternalTool.Find("python3");

    public PythonFactAttribute()
    {
        if (Python is null) Skip = "python3 not found on PATH; the Python package and libedgeprune are not tested";
        else if (SharedData.Root is null) Skip = "needs ../shared (the Tracr model) for the Python package tests";
    }
}
