using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgePruning.Tests;

/// <summary>
/// Points the GPU tests at the CUDA emulator (tests/CudaEmulator) when the test assembly loads, however the tests were
/// started (the build script's test target, or plain dotnet test): where no CUDA library is named explicitly and no
/// NVIDIA driver is installed, it builds the emulator into .cuda-emulator/ (nothing when it is up to date) and takes
/// the variables of its env.sh. Without g++ and clang-14 nothing changes and the GPU tests skip with their reason.
/// The emulated driver shows two devices (EP_EMU_DEVICES, unless set already), read when it first starts, so that the
/// multi-GPU tests (NCCL) run; every other test uses cuda:0 as on a one-GPU machine.
/// </summary>
internal static partial class EmulatorSetup
{
    [ModuleInitializer]
    internal static void UseTheEmulatorWhereThereIsNoGpu()
    {
        // Read by the emulated driver only (a real one ignores it), also when env.sh was sourced before the tests. The
        // driver reads the process environment, which Environment.SetEnvironmentVariable leaves alone on Linux.
        if (Environment.GetEnvironmentVariable("EP_EMU_DEVICES") is not { Length: > 0 })
        {
            Environment.SetEnvironmentVariable("EP_EMU_DEVICES", "2");
            SetNativeEnvironment("EP_EMU_DEVICES", "2", 0);
        }
        if (Environment.GetEnvironmentVariable("EDGEPRUNE_LIBCUDA") is { Length: > 0 }) return;
        if (File.Exists("/usr/bin/nvidia-smi") || !File.Exists("/usr/bin/g++") || !File.Exists("/usr/bin/clang-14")) return;
        string? repository = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && repository is null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tests", "CudaEmulator", "build.sh"))) repository = dir.FullName;
        if (repository is null) return;
        string output = Path.Combine(repository, ".cuda-emulator");
        var build = Process.Start(new ProcessStartInfo("bash", [Path.Combine(repository, "tests", "CudaEmulator", "build.sh"), output])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        });
        if (build is null) return;
        build.StandardOutput.ReadToEnd();
        build.StandardError.ReadToEnd();
        build.WaitForExit();
        string environment = Path.Combine(output, "env.sh");
        if (build.ExitCode != 0 || !File.Exists(environment)) return;
        foreach (var line in File.ReadAllLines(environment))
            if (line.StartsWith("export ", StringComparison.Ordinal) && line.IndexOf('=') is var equals and > 7)
                Environment.SetEnvironmentVariable(line[7..equals], line[(equals + 1)..].Trim('"'));
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetNativeEnvironment(string name, string value, int overwrite);
}
