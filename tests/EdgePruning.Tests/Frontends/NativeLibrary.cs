using EdgePruning.Tests.Circuits;

namespace EdgePruning.Tests.Frontends;

/// <summary>
/// libedgeprune.so in the checkout's .native/ folder, published with NativeAOT when it is missing or older than
/// the sources (about a minute), so that repeated test runs reuse it.
/// </summary>
internal static class NativeLibrary
{
    private static readonly Lazy<(string? Path, string Log)> Built = new(Build);

    public static string Root => CircuitSchema.RepositoryRoot();
    public static string Folder => System.IO.Path.Combine(Root, ".native");

    public static (string? Path, string Log) Get() => Built.Value;

    private static (string? Path, string Log) Build()
    {
        string library = System.IO.Path.Combine(Folder, "libedgeprune.so");
        var newestSource = Directory.EnumerateFiles(System.IO.Path.Combine(Root, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal))
                && !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal)
                && !f.Contains("/Cli/", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        if (File.Exists(library) && File.GetLastWriteTimeUtc(library) >= newestSource) return (library, "up to date");
        var (code, stdout, stderr) = ExternalTool.Run("dotnet",
            ["publish", "src/Native", "-c", "Release", "-r", "linux-x64", "-o", Folder], Root, timeoutSeconds: 540);
        return code == 0 && File.Exists(library) ? (library, stdout) : (null, stdout + stderr);
    }
}
