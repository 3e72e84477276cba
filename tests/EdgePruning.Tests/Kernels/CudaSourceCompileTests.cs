using System.Diagnostics;
using EdgePruning.Kernels;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// Every kernel in kernels-cu/ must compile to PTX with clang's CUDA front end (no GPU, no CUDA toolkit:
/// the prelude supplies what the toolkit headers would), so that syntax and type errors surface here and
/// not on a GPU machine.
/// </summary>
public class CudaSourceCompileTests
{
    internal static readonly string? Clang = FindClang();

    public static TheoryData<string> KernelFiles()
    {
        var data = new TheoryData<string>();
        foreach (var k in KernelSources.Kernels) data.Add(k);
        return data;
    }

    [Fact]
    public void KernelSources_AreEmbedded()
    {
        Assert.Contains("prelude.cuh", KernelSources.Headers);
        Assert.NotEmpty(KernelSources.Kernels);
    }

    [ClangTheory]
    [MemberData(nameof(KernelFiles))]
    public void KernelSource_CompilesToPtxWithClang(string file)
    {
        Assert.NotNull(Clang);
        var dir = Directory.CreateTempSubdirectory("ep-cu-");
        try
        {
            foreach (var h in KernelSources.Headers) File.WriteAllText(Path.Combine(dir.FullName, h), KernelSources.Read(h));
            var source = Path.Combine(dir.FullName, file);
            File.WriteAllText(source, KernelSources.Read(file));
            var ptx = Path.Combine(dir.FullName, file + ".ptx");
            var psi = new ProcessStartInfo(Clang, ["-x", "cuda", "--cuda-device-only", "-nocudainc", "-nocudalib",
                "--cuda-gpu-arch=sm_80", "-S", "-Wall", "-Werror", "-o", ptx, source])
            { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"clang failed on {file}:\n{err}");
            Assert.Contains(".entry", File.ReadAllText(ptx));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string? FindClang()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, "clang-14"))) return Path.Combine(dir, "clang-14");
        return null;
    }
}

/// <summary>A theory that needs clang-14: skipped, with the reason shown, when it is not on PATH.</summary>
public sealed class ClangTheoryAttribute : TheoryAttribute
{
    public ClangTheoryAttribute()
    {
        if (CudaSourceCompileTests.Clang is null) Skip = "clang-14 not found on PATH (Debian package clang-14); kernels-cu not compile-checked";
    }
}
