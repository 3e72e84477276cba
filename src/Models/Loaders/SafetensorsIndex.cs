using System.Text.Json;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// One name → tensor lookup over the safetensors of a Hugging Face checkpoint: a single
/// <c>model.safetensors</c>, or the shards listed by <c>model.safetensors.index.json</c> (its
/// <c>weight_map</c> names the shard file of every tensor). All shards are mapped when it opens, so
/// a missing shard, or a shard that lacks a tensor the map promises, fails at once.
/// </summary>
public sealed class SafetensorsIndex : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _owner;
    private readonly List<SafetensorsFile> _shards;

    private SafetensorsIndex(string source, List<SafetensorsFile> shards, Dictionary<string, SafetensorsFile> owner)
    {
        Source = source;
        _shards = shards;
        _owner = owner;
    }

    /// <summary>The file or index named in error messages.</summary>
    public string Source { get; }
    public IReadOnlyList<SafetensorsFile> Shards => _shards;
    public IEnumerable<string> Names => _owner.Keys;

    /// <summary>True when <paramref name="directory"/> holds weights this class can open.</summary>
    public static bool HasWeights(string directory) =>
        File.Exists(Path.Combine(directory, SingleFileName)) || File.Exists(Path.Combine(directory, IndexFileName));

    /// <summary>Opens the index of a checkpoint directory when it has one, else its single file.</summary>
    public static SafetensorsIndex OpenDirectory(string directory)
    {
        var index = Path.Combine(directory, IndexFileName);
        if (File.Exists(index)) return OpenIndex(index);
        var single = Path.Combine(directory, SingleFileName);
        if (File.Exists(single)) return OpenFile(single);
        throw new ModelFormatException($"{directory}: no {SingleFileName} or {IndexFileName} (only safetensors weights are supported)");
    }

    public static SafetensorsIndex OpenFile(string path)
    {
        var file = SafetensorsFile.Open(path);
        return new SafetensorsIndex(path, [file], file.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal));
    }

    public static SafetensorsIndex OpenIndex(string indexPath)
    {
        if (!File.Exists(indexPath)) throw new ModelFormatException($"{indexPath}: file not found");
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{indexPath}: no weight_map object");
            weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in map.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new ModelFormatException($"{indexPath}: weight_map entry '{p.Name}' is not a file name");
                weightMap[p.Name] = p.Value.GetString()!;
            }
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{indexPath}: not valid JSON ({ex.Message})", ex);
        }

        string dir = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shards = new List<SafetensorsFile>();
        var byName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var group in weightMap.GroupBy(kv => kv.Value, StringComparer.Ordinal))
            {
                string shardPath = Path.Combine(dir, group.Key);
                if (!File.Exists(shardPath))
                    throw new ModelFormatException($"{indexPath}: shard '{group.Key}' (which holds '{group.First().Key}') not found");
                var shard = SafetensorsFile.Open(shardPath);
                shards.Add(shard);
                byName[group.Key] = shard;
            }
            var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in weightMap)
            {
                var shard = byName[shardName];
                if (!shard.Contains(tensor))
                    throw new ModelFormatException($"{indexPath}: weight_map puts tensor '{tensor}' in shard '{shardName}', which does not hold it");
                owner[tensor] = shard;
            }
            return new SafetensorsIndex(indexPath, shards, owner);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>The shard that holds <paramref name="name"/>.</summary>
    public SafetensorsFile FileOf(string name) =>
        _owner.TryGetValue(name, out var f) ? f : throw new ModelFormatException($"{Source}: tensor '{name}' not found");

    public SafetensorsEntry Entry(string name) => FileOf(name).Entry(name);

    /// <summary>A zero-copy view in the stored dtype; valid until this index is disposed.</summary>
    public Tensor GetTensor(string name) => FileOf(name).GetTensor(name);

    public Tensor ReadF32(string name) => FileOf(name).ReadF32(name);

    public Tensor ReadF32(string name, params int[] expectedShape) => FileOf(name).ReadF32(name, expectedShape);

    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
