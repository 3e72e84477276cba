using System.Text.Json;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// <c>NAME.ground_truth.json</c> beside a Tracr model (the shared files, or what <c>edgeprune rasp compile</c>
/// writes): the edges of the circuit the program is known to use, under <c>ground_truth_edges</c>.
/// </summary>
public static class GroundTruthFile
{
    public static string PathBeside(string modelPath) => Path.ChangeExtension(modelPath, ".ground_truth.json");

    /// <summary>The ground-truth edges beside <paramref name="modelPath"/>, or null when there is no such file.</summary>
    public static IReadOnlyList<string>? Beside(string modelPath)
    {
        string path = PathBeside(modelPath);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("ground_truth_edges", out var edges) || edges.ValueKind != JsonValueKind.Array)
                throw new CircuitFormatException($"{path}: no 'ground_truth_edges' array");
            return edges.EnumerateArray().Select(e => e.GetString()
                ?? throw new CircuitFormatException($"{path}: a ground-truth edge is not a string")).ToArray();
        }
        catch (JsonException e)
        {
            throw new CircuitFormatException($"{path}: not valid JSON ({e.Message})", e);
        }
    }
}
