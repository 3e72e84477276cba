using EdgePruning.Runtime;

namespace EdgePruning.Cli;

/// <summary>
/// Says why an output path cannot be written, naming the path and the real cause (a missing or
/// read-only folder, a file where a folder should be) instead of the runtime's text.
/// </summary>
public static class OutputPaths
{
    /// <summary>Runs <paramref name="write"/>, turning a failure to write the file <paramref name="path"/> into one line that says why.</summary>
    public static void Writing(string path, Action write)
    {
        if (Directory.Exists(path))
            throw new EdgePruningException($"cannot write {path}: it is a folder; name a file");
        try
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (parent is not null) Directory.CreateDirectory(parent);
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EdgePruningException(Describe(path, e));
        }
    }

    /// <param name="folder">true when <paramref name="path"/> is meant to be a folder (prune and sweep --out).</param>
    public static string Describe(string path, Exception e, bool folder = false)
    {
        string full = Path.GetFullPath(path);
        if (folder && File.Exists(full)) return $"cannot write {path}: it is a file, not a folder";
        // Walk up to the first part of the path that exists: that is where writing goes wrong.
        for (string? at = Path.GetDirectoryName(full); at is not null; at = Path.GetDirectoryName(at))
        {
            if (File.Exists(at)) return $"cannot write {path}: {at} is a file, not a folder";
            if (!Directory.Exists(at)) continue;
            if (!Writable(at)) return $"cannot write {path}: no permission to write in {at}";
            break;
        }
        return e switch
        {
            UnauthorizedAccessException => $"cannot write {path}: permission denied",
            PathTooLongException => $"cannot write {path}: the path is too long",
            _ => $"cannot write {path}: {e.Message.ReplaceLineEndings(" ").Trim()}",
        };
    }

    private static bool Writable(string dir)
    {
        try
        {
            string probe = Path.Combine(dir, $".edgeprune-probe-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
