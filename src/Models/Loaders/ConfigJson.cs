using System.Text.Json;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// A model config in JSON (a Hugging Face <c>config.json</c>, or the config string that a safetensors
/// file carries in its metadata), read for the few fields a loader needs; a missing or mistyped field
/// fails with the source and the key named. JSON null counts as absent (GPT-2's <c>n_inner</c>).
/// </summary>
public sealed class ConfigJson
{
    public const string FileName = "config.json";

    private readonly JsonElement _root;

    private ConfigJson(string path, JsonElement root)
    {
        Path = path;
        _root = root;
    }

    /// <summary>The file (or metadata entry) named in errors.</summary>
    public string Path { get; }

    public static ConfigJson Read(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        return Parse(path, File.ReadAllText(path));
    }

    /// <summary>Parses JSON text; <paramref name="source"/> names it in errors.</summary>
    public static ConfigJson Parse(string source, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{source}: expected a JSON object, found {doc.RootElement.ValueKind}");
            return new ConfigJson(source, doc.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{source}: not valid JSON ({ex.Message})", ex);
        }
    }

    public static ConfigJson ReadDirectory(string directory) => Read(System.IO.Path.Combine(directory, FileName));

    public string? ModelType => String("model_type");

    public IReadOnlyList<string> Architectures =>
        Get("architectures") is { ValueKind: JsonValueKind.Array } a
            ? a.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray()
            : [];

    /// <summary>A token id that may also be a list of ids (Llama 3's eos_token_id): the first one.</summary>
    public int TokenId(string key, int fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind == JsonValueKind.Array)
            return v.GetArrayLength() > 0 && v[0].TryGetInt32(out int first) ? first : fallback;
        return IntOrNull(key) ?? fallback;
    }

    public bool Has(string key) => Get(key) is not null;

    public int Int(string key) => IntOrNull(key) ?? throw Missing(key, "an integer");

    public int Int(string key, int fallback) => IntOrNull(key) ?? fallback;

    public int? IntOrNull(string key)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i)) return i;
        throw Mistyped(key, v, "an integer");
    }

    public float Float(string key, float fallback)
    {
        if (Get(key) is not { } v) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return (float)v.GetDouble();
        throw Mistyped(key, v, "a number");
    }

    public bool Bool(string key, bool fallback)
    {
        if (Get(key) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Mistyped(key, v, "true or false"),
        };
    }

    public string? String(string key)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.String) return v.GetString();
        throw Mistyped(key, v, "a string");
    }

    /// <summary>The raw value, or null when the key is absent or JSON null.</summary>
    public JsonElement? Get(string key) =>
        _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private ModelFormatException Missing(string key, string what) => new($"{Path}: '{key}' is missing (expected {what})");

    private ModelFormatException Mistyped(string key, JsonElement v, string what) =>
        new($"{Path}: '{key}' is {v.GetRawText()}, expected {what}");
}
