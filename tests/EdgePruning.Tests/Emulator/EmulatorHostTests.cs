using System.Diagnostics;
using System.Text.RegularExpressions;

namespace EdgePruning.Tests.Emulator;

/// <summary>
/// The CUDA emulator's own C++ tests (tests/CudaEmulator/hosttest): the emulated cuBLAS and NCCL under AddressSanitizer
/// and UBSan against a driver stand-in, and against the emulated driver itself with two devices.
/// </summary>
public class EmulatorHostTests
{
    private static string? Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "tests", "CudaEmulator", "hosttest"))) return dir.FullName;
        return null;
    }

    /// <summary>The script's exit code, its standard output, and both streams for the failure message.</summary>
    private static (int Code, string Output, string Both) RunScript(string repository, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repository };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, output + error.Result);
    }

    private static void AssertAllPassed((int Code, string Output, string Both) run)
    {
        var last = run.Output.TrimEnd().Split('\n')[^1];
        var summary = Regex.Match(last, @"^(\d+) passed, (\d+) failed$");
        Assert.True(summary.Success && run.Code == 0 && summary.Groups[2].Value == "0", run.Both);
        Assert.True(int.Parse(summary.Groups[1].Value) > 0, run.Both);
    }

    [GxxFact]
    public void EmulatedCublasAndNccl_PassTheirHostTests_UnderSanitizers()
    {
        var repository = Folder()!;
        AssertAllPassed(RunScript(repository, "tests/CudaEmulator/hosttest/run.sh"));
    }

    [EmulatedCudaFact]
    public void EmulatedCublasAndNccl_RunOnTheEmulatedDriver_WithTwoDevices()
    {
        var repository = Folder()!;
        var library = Path.GetDirectoryName(Environment.GetEnvironmentVariable("EDGEPRUNE_LIBCUDA"))!;
        AssertAllPassed(RunScript(repository, "tests/CudaEmulator/hosttest/with_driver.sh", Path.GetDirectoryName(library)!));
    }
}

/// <summary>A fact that compiles C++ with g++ beside the test's checkout: skipped with the reason where either is missing.</summary>
public sealed class GxxFactAttribute : FactAttribute
{
    public GxxFactAttribute()
    {
        bool sources = false;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && !sources; dir = dir.Parent)
            sources = Directory.Exists(Path.Combine(dir.FullName, "tests", "CudaEmulator", "hosttest"));
        if (!sources) Skip = "the CUDA emulator's sources (tests/CudaEmulator) are not above the test binaries";
        else if (!File.Exists("/usr/bin/g++")) Skip = "g++ is not installed (the test target installs it as root with apt)";
    }
}
