using System.Runtime.InteropServices;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Tests.Runtime;

public class CudaLibraryCandidatesTests
{
    private const string Variable = "EDGEPRUNE_TEST_PAIR";

    /// <summary>A real shared library that loads on its own (the runtime's own native shim), to copy under fake names.</summary>
    private static string LoadableLibrary => Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Native.so");

    [Fact]
    public void Pairs_ComeInOrder_ExplicitFileWithItsCompanionThen13Then12_BareNamesBeforeFolders()
    {
        Environment.SetEnvironmentVariable(Variable, "/opt/custom/libfake.so.12.3");
        try
        {
            var c = new LibraryPairCandidates(Variable, "libfakeLt", "libfake", [13, 12], ["/a", "/b"]);
            Assert.Equal(
            [
                ("/opt/custom/libfakeLt.so.12.3", "/opt/custom/libfake.so.12.3"),
                ("libfakeLt.so.13", "libfake.so.13"),
                ("/a/libfakeLt.so.13", "/a/libfake.so.13"),
                ("/b/libfakeLt.so.13", "/b/libfake.so.13"),
                ("libfakeLt.so.12", "libfake.so.12"),
                ("/a/libfakeLt.so.12", "/a/libfake.so.12"),
                ("/b/libfakeLt.so.12", "/b/libfake.so.12"),
            ], c.All().ToArray());
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, null);
        }
    }

    [Fact]
    public void Pairs_WithoutTheVariable_StartWithTheNewestBareNames()
    {
        var c = new LibraryPairCandidates(Variable, "libfakeLt", "libfake", [13, 12], ["/a"]);
        Assert.Equal(("libfakeLt.so.13", "libfake.so.13"), c.All().First());
        Assert.Equal(4, c.All().Count());
    }

    [Fact]
    public void TryPairs_SkipsStubs_NeedsBothFromOneFolder_AndListsEveryPathTried()
    {
        Assert.True(File.Exists(LoadableLibrary), LoadableLibrary);
        var dir = Directory.CreateTempSubdirectory("ep-pairs-");
        try
        {
            string Folder(string name, params string[] files)
            {
                var folder = Directory.CreateDirectory(Path.Combine(dir.FullName, name)).FullName;
                foreach (var f in files) File.Copy(LoadableLibrary, Path.Combine(folder, f));
                return folder;
            }
            var stubs = Folder("stubs", "libfakeLt.so.13", "libfake.so.13");
            var companionOnly = Folder("lt-only", "libfakeLt.so.13");
            var both = Folder("both", "libfakeLt.so.13", "libfake.so.13");
            var c = new LibraryPairCandidates(null, "libfakeLt", "libfake", [13, 12], [stubs, companionOnly, both]);

            var (companion, library) = CudaLibraryResolver.TryPairs(c);

            Assert.NotEqual(IntPtr.Zero, companion.Handle);
            Assert.NotEqual(IntPtr.Zero, library.Handle);
            Assert.Equal(Path.Combine(both, "libfakeLt.so.13"), companion.Path);
            Assert.Equal(Path.Combine(both, "libfake.so.13"), library.Path);
            Assert.Equal(
            [
                "libfakeLt.so.13",
                Path.Combine(stubs, "libfakeLt.so.13") + " (stub, skipped)",
                Path.Combine(companionOnly, "libfakeLt.so.13"),
                Path.Combine(companionOnly, "libfake.so.13"),
                Path.Combine(both, "libfakeLt.so.13"),
                Path.Combine(both, "libfake.so.13"),
            ], library.Tried);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TryPairs_WhenNothingLoads_ListsEveryCompanionTriedInOrder()
    {
        var dir = Directory.CreateTempSubdirectory("ep-pairs-");
        try
        {
            var broken = Directory.CreateDirectory(Path.Combine(dir.FullName, "lib")).FullName;
            File.WriteAllText(Path.Combine(broken, "libfakeLt.so.12"), "not a library");
            var c = new LibraryPairCandidates(null, "libfakeLt", "libfake", [13, 12], [broken]);

            var (companion, library) = CudaLibraryResolver.TryPairs(c);

            Assert.Equal(IntPtr.Zero, companion.Handle);
            Assert.Equal(IntPtr.Zero, library.Handle);
            Assert.Null(library.Path);
            Assert.Equal(
                ["libfakeLt.so.13", Path.Combine(broken, "libfakeLt.so.13"), "libfakeLt.so.12", Path.Combine(broken, "libfakeLt.so.12")],
                library.Tried);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TryCandidates_ReturnsTheFirstThatLoads_AfterListingEveryEarlierPath()
    {
        Assert.True(File.Exists(LoadableLibrary), LoadableLibrary);
        var dir = Directory.CreateTempSubdirectory("ep-cands-");
        try
        {
            var stubs = Directory.CreateDirectory(Path.Combine(dir.FullName, "stubs")).FullName;
            File.Copy(LoadableLibrary, Path.Combine(stubs, "libfake.so.1"));
            var empty = Directory.CreateDirectory(Path.Combine(dir.FullName, "empty")).FullName;
            var good = Directory.CreateDirectory(Path.Combine(dir.FullName, "good")).FullName;
            File.Copy(LoadableLibrary, Path.Combine(good, "libfake.so.1"));
            var c = new NativeLibraryCandidates(null, ["libfake.so.1"], [stubs, empty, good]);

            var result = CudaLibraryResolver.TryCandidates(c);

            Assert.NotEqual(IntPtr.Zero, result.Handle);
            Assert.Equal(Path.Combine(good, "libfake.so.1"), result.Path);
            Assert.Equal(
            [
                "libfake.so.1",
                Path.Combine(stubs, "libfake.so.1") + " (stub, skipped)",
                Path.Combine(empty, "libfake.so.1"),
                Path.Combine(good, "libfake.so.1"),
            ], result.Tried);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
