using EdgePruning.Cli;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Tests.Runtime;

public class CudaLibraryResolverTests
{
    [Fact]
    public void Candidates_ComeInOrder_ExplicitPathThenNamesThenFolders()
    {
        Environment.SetEnvironmentVariable("EDGEPRUNE_TEST_LIB", "/opt/custom/libx.so");
        try
        {
            var c = new NativeLibraryCandidates("EDGEPRUNE_TEST_LIB", ["libx.so.13", "libx.so.12"], ["/a", "/b"]);
            Assert.Equal(
                ["/opt/custom/libx.so", "libx.so.13", "libx.so.12", "/a/libx.so.13", "/b/libx.so.13", "/a/libx.so.12", "/b/libx.so.12"],
                c.All().ToArray());
        }
        finally
        {
            Environment.SetEnvironmentVariable("EDGEPRUNE_TEST_LIB", null);
        }
    }

    [Fact]
    public void StubLibraries_AreNeverLoaded_AndFailuresListEveryPathTried()
    {
        var dir = Directory.CreateTempSubdirectory("ep-cuda-");
        try
        {
            var stubs = Directory.CreateDirectory(Path.Combine(dir.FullName, "stubs"));
            File.WriteAllText(Path.Combine(stubs.FullName, "libfake.so.1"), "not a library");
            var broken = Directory.CreateDirectory(Path.Combine(dir.FullName, "lib"));
            File.WriteAllText(Path.Combine(broken.FullName, "libfake.so.1"), "not a library either");
            var candidates = new NativeLibraryCandidates(null, ["libfake.so.1"], [stubs.FullName, broken.FullName]);

            var (handle, path, tried) = CudaLibraryResolver.TryCandidates(candidates);

            Assert.Equal(IntPtr.Zero, handle);
            Assert.Null(path);
            Assert.Contains(Path.Combine(stubs.FullName, "libfake.so.1") + " (stub, skipped)", tried);
            Assert.Contains(Path.Combine(broken.FullName, "libfake.so.1"), tried);
            Assert.Contains("libfake.so.1", tried);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("/usr/local/cuda/lib64/stubs/libcuda.so.1", true)]
    [InlineData("/usr/lib/x86_64-linux-gnu/libcuda.so", true)]
    [InlineData("/usr/lib/x86_64-linux-gnu/libcuda.so.1", false)]
    public void StubDetection(string path, bool stub) => Assert.Equal(stub, NativeLibraryCandidates.IsStub(path));

    [Fact]
    public void Devices_ListsGpusOrSaysWhyNoneIsUsable()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(["devices"], o, e);
        Assert.Equal(CliApp.ExitOk, code);
        string text = o.ToString();
        if (text.StartsWith("no CUDA device is usable", StringComparison.Ordinal))
        {
            // This machine has no GPU or no driver: the reason must name what was looked for and where.
            Assert.Contains("libcuda.so.1", text);
            Assert.Contains("/usr/lib/x86_64-linux-gnu/libcuda.so.1", text);
        }
        else
        {
            Assert.Contains("cuda:0", text);
            Assert.Contains("compute capability", text);
        }
    }

    [EmulatedCudaFact]
    public void Devices_NamesAnEmulatedDriverAndItsDevicesAsEmulated()
    {
        var o = new StringWriter();
        int code = CliApp.Run(["devices"], o, new StringWriter());
        Assert.Equal(CliApp.ExitOk, code);
        string text = o.ToString();
        Assert.Contains("emulated       EdgePruning CUDA emulator", text);
        Assert.Contains("cuda:0         EdgePruning CUDA emulator (emulated sm_90 device 0)", text);
        Assert.Contains("cublas", text);
        Assert.DoesNotContain("not usable", text);
    }
}
