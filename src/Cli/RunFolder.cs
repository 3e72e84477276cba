using EdgePruning.Pruning;
using EdgePruning.Runtime;

namespace EdgePruning.Cli;

/// <summary>
/// The --out folder of a prune run: what an earlier run left there, and making it ready for a new one.
/// A run is finished once its circuit.json is written; one with a checkpoint and no circuit.json was
/// interrupted (or is still running elsewhere).
/// </summary>
public sealed record RunFolder(bool HasCheckpoint, bool HasCircuit)
{
    /// <summary>Files a run writes; a new run in the same folder replaces them all.</summary>
    private static readonly string[] RunFiles =
        [PruningJob.CheckpointFile, PruningJob.CircuitFile, RunSettings.FileName, "circuit.html", "circuit.dot", "circuit.svg"];

    public bool Unfinished => HasCheckpoint && !HasCircuit;

    public static RunFolder Inspect(string dir)
    {
        if (File.Exists(dir))
            throw new EdgePruningException($"cannot write {dir}: it is a file, not a folder (--out names the run's folder)");
        return new RunFolder(File.Exists(Path.Combine(dir, PruningJob.CheckpointFile)), File.Exists(Path.Combine(dir, PruningJob.CircuitFile)));
    }

    /// <summary>Creates the folder, or clears a finished run's files from it, and checks that it can be written.</summary>
    public static void Prepare(string dir)
    {
        Ensure(dir);
        foreach (var name in RunFiles) File.Delete(Path.Combine(dir, name));
    }

    /// <summary>Creates the output folder and checks that it can be written, before any long work.</summary>
    public static void Ensure(string dir)
    {
        try
        {
            if (File.Exists(dir)) throw new IOException("a file");
            Directory.CreateDirectory(dir);
            // Probe now, so that a read-only folder fails before training rather than at the first checkpoint.
            string probe = Path.Combine(dir, ".edgeprune-write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgePruningException(OutputPaths.Describe(dir, e, folder: true));
        }
    }
}
