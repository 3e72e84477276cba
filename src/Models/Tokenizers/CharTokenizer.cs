using System.Text;
using System.Text.Json;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// A character-level vocabulary (minGPT / nanoGPT "char" models): a <c>vocab.json</c> with
/// <c>stoi</c> (character → id) and optionally <c>itos</c> (id → character). One id per character,
/// no BOS or EOS.
/// </summary>
public sealed class CharTokenizer : ITokenizer
{
    private readonly Dictionary<string, int> _idByChar;
    private readonly string[] _charById;

    public string Source { get; }
    public string Name => $"character vocabulary ({Path.GetFileName(Source)}, {VocabSize} tokens)";
    public int VocabSize => _charById.Length;
    public int? BosId => null;
    public int? EosId => null;

    private CharTokenizer(string source, Dictionary<string, int> idByChar, string[] charById)
    {
        Source = source;
        _idByChar = idByChar;
        _charById = charById;
    }

    /// <summary>True for a JSON object with a "stoi" map, which is how these vocabularies are saved.</summary>
    public static bool LooksLike(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("stoi", out var stoi) && stoi.ValueKind == JsonValueKind.Object;

    public static CharTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: vocabulary file not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!LooksLike(doc.RootElement)) throw new TokenizerException($"{path}: no \"stoi\" map; not a character vocabulary");
            var idByChar = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in doc.RootElement.GetProperty("stoi").EnumerateObject())
            {
                if (entry.Name.EnumerateRunes().Count() != 1)
                    throw new TokenizerException($"{path}: stoi key \"{entry.Name}\" is not a single character");
                idByChar[entry.Name] = entry.Value.GetInt32();
            }
            if (idByChar.Count == 0) throw new TokenizerException($"{path}: empty stoi map");
            var charById = new string?[idByChar.Values.Max() + 1];
            foreach (var (ch, id) in idByChar)
            {
                if (id < 0) throw new TokenizerException($"{path}: negative id {id} for \"{ch}\"");
                if (charById[id] is not null) throw new TokenizerException($"{path}: id {id} is given to both \"{charById[id]}\" and \"{ch}\"");
                charById[id] = ch;
            }
            int hole = Array.IndexOf(charById, null);
            if (hole >= 0) throw new TokenizerException($"{path}: no character has id {hole}");
            if (doc.RootElement.TryGetProperty("itos", out var itos))
                foreach (var entry in itos.EnumerateObject())
                    if (!int.TryParse(entry.Name, out int id) || id >= charById.Length || charById[id] != entry.Value.GetString())
                        throw new TokenizerException($"{path}: itos[{entry.Name}] disagrees with stoi");
            return new CharTokenizer(path, idByChar, charById!);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new TokenizerException($"{path}: not a character vocabulary: {e.Message}", e);
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        if (addBos) throw new TokenizerException($"{Source}: a character vocabulary has no BOS token");
        var ids = new List<int>(text.Length);
        var lookup = _idByChar.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> buffer = stackalloc char[2];
        foreach (Rune rune in text.EnumerateRunes())
        {
            int n = rune.EncodeToUtf16(buffer);
            if (!lookup.TryGetValue(buffer[..n], out int id))
                throw new TokenizerException($"{Source}: character '{rune}' (U+{rune.Value:X4}) is not in the vocabulary");
            ids.Add(id);
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(TokenText(id));
        return sb.ToString();
    }

    public string DecodeToken(int previousId, int id) => TokenText(id);

    public string TokenText(int id)
    {
        if ((uint)id >= (uint)_charById.Length) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {_charById.Length}");
        return _charById[id];
    }
}
