namespace EdgePruning.Runtime.Cuda.Native;

/// <summary>
/// Where a library that needs a companion of the same version lives (cuBLAS needs the cuBLASLt of its own
/// release): candidate pairs (companion first, then the library) from one folder and one version, in the
/// order we try them: the file named by an environment variable with its companion beside it, then for
/// each version (13 before 12) the system loader, the system folders and the Python wheel folders.
/// </summary>
public sealed class LibraryPairCandidates
{
    public LibraryPairCandidates(string? environmentVariable, string companionStem, string libraryStem, IReadOnlyList<int> versions,
        IEnumerable<string>? folders = null)
    {
        EnvironmentVariable = environmentVariable;
        CompanionStem = companionStem;
        LibraryStem = libraryStem;
        Versions = versions;
        Folders = (folders ?? NativeLibraryCandidates.SystemFolders.Concat(NativeLibraryCandidates.PythonWheelFolders())).ToArray();
    }

    public string? EnvironmentVariable { get; }
    /// <summary>File stem of the companion loaded first, e.g. "libcublasLt".</summary>
    public string CompanionStem { get; }
    /// <summary>File stem of the library itself, e.g. "libcublas".</summary>
    public string LibraryStem { get; }
    public IReadOnlyList<int> Versions { get; }
    public IReadOnlyList<string> Folders { get; }

    /// <summary>Every (companion, library) pair in order: absolute paths, or bare names for the system loader.</summary>
    public IEnumerable<(string Companion, string Library)> All()
    {
        if (EnvironmentVariable is not null && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitPath)
        {
            var folder = Path.GetDirectoryName(explicitPath) ?? ".";
            var suffix = Path.GetFileName(explicitPath)[LibraryStem.Length..];
            yield return (Path.Combine(folder, CompanionStem + suffix), explicitPath);
        }
        foreach (int version in Versions)
        {
            string companion = $"{CompanionStem}.so.{version}", library = $"{LibraryStem}.so.{version}";
            yield return (companion, library);
            foreach (var folder in Folders)
                yield return (Path.Combine(folder, companion), Path.Combine(folder, library));
        }
    }
}
