using System.Text.Json;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// The symbol vocabulary of a Tracr-compiled program (the "vocab" map of NAME.json beside the weights).
/// Text is whitespace-separated symbols such as "BOS 1 2 3" or "BOS x a c"; BOS is an ordinary symbol
/// that Decode writes out, so that Decode inverts Encode.
/// </summary>
public sealed class TracrTokenizer : ITokenizer
{
    private readonly Dictionary<string, int> _idBySymbol;
    private readonly string[] _symbolById;

    public string Source { get; }
    public string Name => $"Tracr symbols ({Path.GetFileName(Source)}, {VocabSize} tokens)";
    public int VocabSize => _symbolById.Length;
    public int? BosId { get; }
    public int? EosId => null;
    /// <summary>The id of the compiler's padding symbol, which attention masks out.</summary>
    public int? PadId { get; }

    private TracrTokenizer(string source, Dictionary<string, int> idBySymbol, string[] symbolById, int? bosId, int? padId)
    {
        Source = source;
        _idBySymbol = idBySymbol;
        _symbolById = symbolById;
        BosId = bosId;
        PadId = padId;
    }

    /// <summary>True for a JSON object with a "vocab" map and a "config" object, as Tracr models are saved.</summary>
    public static bool LooksLike(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty("vocab", out var vocab) && vocab.ValueKind == JsonValueKind.Object
        && root.TryGetProperty("config", out var config) && config.ValueKind == JsonValueKind.Object;

    public static TracrTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: Tracr vocabulary file not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!LooksLike(doc.RootElement)) throw new TokenizerException($"{path}: no \"vocab\" and \"config\" objects; not a Tracr model description");
            var idBySymbol = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.GetProperty("vocab").EnumerateObject())
            {
                if (entry.Name.Length == 0 || entry.Name.Any(char.IsWhiteSpace))
                    throw new TokenizerException($"{path}: symbol \"{entry.Name}\" is empty or contains whitespace");
                idBySymbol[entry.Name] = entry.Value.GetInt32();
            }
            if (idBySymbol.Count == 0) throw new TokenizerException($"{path}: empty vocab");
            var symbolById = new string?[idBySymbol.Values.Max() + 1];
            foreach (var (symbol, id) in idBySymbol)
            {
                if (id < 0 || symbolById[id] is not null) throw new TokenizerException($"{path}: id {id} of \"{symbol}\" is negative or repeated");
                symbolById[id] = symbol;
            }
            int hole = Array.IndexOf(symbolById, null);
            if (hole >= 0) throw new TokenizerException($"{path}: no symbol has id {hole}");

            var config = doc.RootElement.GetProperty("config");
            int? Special(string key, string fallback)
            {
                string name = config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
                return idBySymbol.TryGetValue(name, out int id) ? id : null;
            }
            return new TracrTokenizer(path, idBySymbol, symbolById!, Special("bos", "BOS"), Special("pad", "compiler_pad"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new TokenizerException($"{path}: not a Tracr model description: {e.Message}", e);
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var ids = new List<int>();
        if (addBos) ids.Add(BosId ?? throw new TokenizerException($"{Source}: the vocabulary has no BOS symbol"));
        foreach (string symbol in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!_idBySymbol.TryGetValue(symbol, out int id))
                throw new TokenizerException($"{Source}: unknown symbol \"{symbol}\"; the vocabulary is {string.Join(", ", _symbolById)}");
            ids.Add(id);
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids) => string.Join(' ', ids.Select(TokenText));

    public string DecodeToken(int previousId, int id) => " " + TokenText(id);

    public string TokenText(int id)
    {
        if ((uint)id >= (uint)_symbolById.Length) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {_symbolById.Length}");
        return _symbolById[id];
    }
}
