using System.Collections.Concurrent;
using System.Text.Json;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// The task definition files (templates, word lists, rules) embedded in this assembly as
/// <c>tasks/&lt;file&gt;.json</c>, so that generating a task needs nothing beside the binary.
/// </summary>
internal static class TaskDataFiles
{
    private static readonly ConcurrentDictionary<string, JsonElement> s_files = new(StringComparer.Ordinal);

    public static JsonElement Read(string fileName) => s_files.GetOrAdd(fileName, Load);

    private static JsonElement Load(string fileName)
    {
        string resource = "tasks/" + fileName;
        using var stream = typeof(TaskDataFiles).Assembly.GetManifestResourceStream(resource)
            ?? throw new TaskDataException($"embedded task data {resource} is missing from {typeof(TaskDataFiles).Assembly.GetName().Name}");
        using var doc = JsonDocument.Parse(stream);
        return doc.RootElement.Clone();
    }

    /// <summary>The string array at <paramref name="path"/> (property names from the root).</summary>
    public static string[] Strings(this JsonElement root, params string[] path)
    {
        var e = root.At(path);
        return e.EnumerateArray().Select(x => x.GetString() ?? "").ToArray();
    }

    public static string String(this JsonElement root, params string[] path) => root.At(path).GetString() ?? "";

    public static JsonElement At(this JsonElement root, params string[] path)
    {
        var e = root;
        foreach (var name in path)
            if (!e.TryGetProperty(name, out e))
                throw new TaskDataException($"embedded task data has no \"{string.Join('.', path)}\"");
        return e;
    }
}
