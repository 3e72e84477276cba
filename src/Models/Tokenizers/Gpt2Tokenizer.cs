using System.Text.Json;
using System.Text.RegularExpressions;
using Ml = Microsoft.ML.Tokenizers;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// GPT-2's byte-level BPE through Microsoft.ML.Tokenizers: either the built-in r50k_base ranks (the
/// GPT-2 vocabulary, 50257 tokens) or a Hugging Face <c>vocab.json</c> + <c>merges.txt</c> pair.
/// &lt;|endoftext|&gt; is both BOS and EOS, as in GPT-2.
/// </summary>
public sealed partial class Gpt2Tokenizer : ITokenizer
{
    public const string EndOfText = "<|endoftext|>";
    public const string BuiltInName = "r50k_base";
    public const int R50kVocabSize = 50257;

    private static readonly Lazy<Gpt2Tokenizer> s_r50k = new(CreateR50k);

    private readonly Ml.Tokenizer _inner;
    private readonly int? _endOfTextId;

    public string Source { get; }
    public string Name { get; }
    public int VocabSize { get; }
    public int? BosId => _endOfTextId;
    public int? EosId => _endOfTextId;

    private Gpt2Tokenizer(Ml.Tokenizer inner, string source, string name, int vocabSize, int? endOfTextId)
    {
        _inner = inner;
        Source = source;
        Name = name;
        VocabSize = vocabSize;
        _endOfTextId = endOfTextId;
    }

    /// <summary>The GPT-2 vocabulary shipped in Microsoft.ML.Tokenizers.Data.R50kBase (built once, shared).</summary>
    public static Gpt2Tokenizer R50k() => s_r50k.Value;

    private static Gpt2Tokenizer CreateR50k()
    {
        var inner = Ml.TiktokenTokenizer.CreateForEncoding(BuiltInName);
        return new Gpt2Tokenizer(inner, BuiltInName, $"GPT-2 byte-level BPE (built-in {BuiltInName}, {R50kVocabSize} tokens)", R50kVocabSize, R50kVocabSize - 1);
    }

    /// <summary>A Hugging Face GPT-2-style directory: <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static Gpt2Tokenizer FromDirectory(string directory) =>
        FromFiles(Path.Combine(directory, "vocab.json"), Path.Combine(directory, "merges.txt"));

    public static Gpt2Tokenizer FromFiles(string vocabJsonPath, string mergesPath)
    {
        var vocab = ReadVocab(vocabJsonPath);
        var merges = ReadMerges(mergesPath);
        int? endOfText = vocab.TryGetValue(EndOfText, out int eot) ? eot : null;
        var special = endOfText is int id ? new Dictionary<string, int> { [EndOfText] = id } : new Dictionary<string, int>();
        Ml.BpeTokenizer inner;
        try
        {
            inner = Ml.BpeTokenizer.Create(new Ml.BpeOptions(vocab)
            {
                Merges = merges,
                ByteLevel = true,
                SpecialTokens = special,
                PreTokenizer = new Ml.RegexPreTokenizer(Gpt2Pattern(), special),
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new TokenizerException($"{mergesPath}: cannot build a byte-level BPE from it and {Path.GetFileName(vocabJsonPath)}: {e.Message}", e);
        }
        int size = vocab.Values.Max() + 1;
        string source = Path.GetDirectoryName(Path.GetFullPath(vocabJsonPath)) ?? vocabJsonPath;
        return new Gpt2Tokenizer(inner, source, $"GPT-2 byte-level BPE ({Path.GetFileName(source)}/vocab.json, {size} tokens)", size, endOfText);
    }

    /// <summary>GPT-2's pre-tokenizer pattern (contractions, letters, digits, other, whitespace runs).</summary>
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")]
    private static partial Regex Gpt2Pattern();

    private static Dictionary<string, int> ReadVocab(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: vocabulary file not found");
        try
        {
            var vocab = JsonSerializer.Deserialize(File.ReadAllText(path), VocabJsonContext.Default.DictionaryStringInt32);
            if (vocab is null || vocab.Count == 0) throw new TokenizerException($"{path}: empty vocabulary");
            if (vocab.Values.Min() < 0) throw new TokenizerException($"{path}: negative token id");
            return vocab;
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{path}: not a GPT-2 vocab.json (a JSON object of token → id): {e.Message}", e);
        }
    }

    private static List<string> ReadMerges(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: merges file not found");
        var merges = new List<string>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            if (line.Split(' ').Length != 2) throw new TokenizerException($"{path}:{lineNumber}: a merge is two tokens separated by one space, got \"{line}\"");
            merges.Add(line);
        }
        return merges;
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        var ids = _inner.EncodeToIds(text);
        if (!addBos) return ids;
        int bos = BosId ?? throw new TokenizerException($"{Source}: has no {EndOfText} token to use as BOS");
        return [bos, .. ids];
    }

    public string Decode(IEnumerable<int> ids)
    {
        var kept = new List<int>();
        foreach (int id in ids)
        {
            CheckId(id);
            if (id != _endOfTextId) kept.Add(id);
        }
        return _inner.Decode(kept);
    }

    public string DecodeToken(int previousId, int id) => StreamingDecoder.DecodeAfter(this, previousId, [id]);

    public string TokenText(int id)
    {
        CheckId(id);
        return _inner.Decode([id]);
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)VocabSize) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {VocabSize}");
    }
}

/// <summary>Source-generated reader of vocab.json, so that the tokenizer also works in the NativeAOT library.</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, int>))]
internal sealed partial class VocabJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
