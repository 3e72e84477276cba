namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Where a CUDA library may live, in the order we try: an explicit path from an environment variable,
/// then each versioned file name (13 before 12) through the system loader, then the usual system
/// folders, then the lib folders of NVIDIA's Python wheels (site-packages/nvidia/*/lib). A path inside
/// a <c>stubs</c> folder is never used: the toolkit's stub libcuda.so loads but fails every call.
/// </summary>
public sealed class NativeLibraryCandidates
{
    public static readonly string[] SystemFolders =
    [
        "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64", "/usr/local/nvidia/lib",
        "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/wsl/lib",
    ];

    public NativeLibraryCandidates(string? environmentVariable, IReadOnlyList<string> fileNames, IEnumerable<string>? folders = null)
    {
        EnvironmentVariable = environmentVariable;
        FileNames = fileNames;
        Folders = (folders ?? SystemFolders.Concat(PythonWheelFolders())).ToArray();
    }

    public string? EnvironmentVariable { get; }
    /// <summary>File names, most preferred first (libcublas.so.13 before libcublas.so.12).</summary>
    public IReadOnlyList<string> FileNames { get; }
    public IReadOnlyList<string> Folders { get; }

    /// <summary>Every candidate in order: absolute paths, or bare file names for the system loader.</summary>
    public IEnumerable<string> All()
    {
        if (EnvironmentVariable is not null && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitPath)
            yield return explicitPath;
        foreach (var name in FileNames) yield return name;
        foreach (var name in FileNames)
            foreach (var folder in Folders)
                yield return Path.Combine(folder, name);
    }

    public static bool IsStub(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Any(part => part.Equals("stubs", StringComparison.OrdinalIgnoreCase))
        || Path.GetFileName(path) == "libcuda.so";

    /// <summary>site-packages/nvidia/*/lib of every Python installation we can find.</summary>
    public static IEnumerable<string> PythonWheelFolders()
    {
        var roots = new List<string> { "/usr/lib", "/usr/local/lib" };
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home))
        {
            roots.Add(Path.Combine(home, ".local/lib"));
            var pyenv = Path.Combine(home, ".pyenv/versions");
            if (Directory.Exists(pyenv)) roots.AddRange(Directory.GetDirectories(pyenv).Select(v => Path.Combine(v, "lib")));
        }
        if (Environment.GetEnvironmentVariable("VIRTUAL_ENV") is { Length: > 0 } venv) roots.Add(Path.Combine(venv, "lib"));
        foreach (var root in roots.Where(Directory.Exists))
            foreach (var python in SafeDirectories(root, "python3*"))
                foreach (var packages in new[] { "site-packages", "dist-packages" })
                {
                    var nvidia = Path.Combine(python, packages, "nvidia");
                    foreach (var lib in SafeDirectories(nvidia, "*").Select(d => Path.Combine(d, "lib")).Where(Directory.Exists))
                        yield return lib;
                }
    }

    private static string[] SafeDirectories(string folder, string pattern)
    {
        try
        {
            return Directory.Exists(folder) ? Directory.GetDirectories(folder, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
