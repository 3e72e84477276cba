using System.Text.Json;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// Picks the tokenizer for a file, a directory, or a model: by file name and content for an explicit
/// tokenizer path, and by what lies beside the weights otherwise (llama2.c's tok512.bin/tokenizer.bin or tokenizer.model,
/// a Hugging Face directory's tokenizer.model or vocab.json + merges.txt, minGPT's vocab.json, Tracr's
/// NAME.json, or GPT-2's built-in r50k_base).
/// </summary>
public static class TokenizerLoader
{
    private const string SentencePieceModel = "tokenizer.model";
    private const string VocabJson = "vocab.json";
    private const string MergesTxt = "merges.txt";
    private const string Llama2Tokenizer = "tokenizer.bin";

    /// <summary>Loads the tokenizer at <paramref name="path"/>: a tokenizer file, a directory holding
    /// one, or "r50k_base"/"gpt2" for the built-in GPT-2 vocabulary.</summary>
    public static ITokenizer Load(string path)
    {
        if (Directory.Exists(path)) return FromDirectory(path) ?? throw NothingIn(path);
        if (!File.Exists(path))
        {
            if (IsBuiltInName(path)) return Gpt2Tokenizer.R50k();
            throw new TokenizerException($"{path}: tokenizer not found");
        }

        string name = Path.GetFileName(path);
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".bin":
                return Llama2cTokenizer.Load(path);
            case ".model":
                return SentencePieceTokenizer.Load(path);
            case ".txt" when name.Equals(MergesTxt, StringComparison.OrdinalIgnoreCase):
                return Gpt2Tokenizer.FromFiles(Path.Combine(directory, VocabJson), path);
            case ".json":
                return FromJson(path, directory);
            default:
                throw new TokenizerException($"{path}: unknown tokenizer format; expected a llama2.c .bin, a SentencePiece .model, a GPT-2 vocab.json + merges.txt, a character vocab.json or a Tracr NAME.json");
        }
    }

    /// <summary>
    /// The tokenizer for the model at <paramref name="modelPath"/>, or <paramref name="tokenizerPath"/>
    /// when given. For llama2.c checkpoints the vocabulary size is checked against the header; for other
    /// formats call <see cref="EnsureMatches"/> once the weights are loaded.
    /// </summary>
    public static ITokenizer ForModel(string modelPath, string? tokenizerPath = null)
    {
        if (tokenizerPath is not null) return Load(tokenizerPath);

        if (Directory.Exists(modelPath))
        {
            return FromDirectory(modelPath)
                ?? (IsGpt2Config(Path.Combine(modelPath, "config.json")) ? Gpt2Tokenizer.R50k() : throw NothingIn(modelPath));
        }
        if (!File.Exists(modelPath)) throw new TokenizerException($"{modelPath}: model not found, so its tokenizer cannot be found either");

        string directory = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        string extension = Path.GetExtension(modelPath).ToLowerInvariant();
        if (extension == ".bin") return BesideLlama2cCheckpoint(modelPath, directory);

        string stemJson = Path.Combine(directory, Path.GetFileNameWithoutExtension(modelPath) + ".json");
        if (File.Exists(stemJson) && ReadRoot(stemJson) is { } root && TracrTokenizer.LooksLike(root)) return TracrTokenizer.Load(stemJson);
        return FromDirectory(directory)
            ?? (IsGpt2Config(Path.Combine(directory, "config.json")) ? Gpt2Tokenizer.R50k() : throw NothingIn(directory, modelPath));
    }

    /// <summary>
    /// Throws unless the tokenizer's ids fit the model's embedding. A model may have a few unused rows
    /// past the tokenizer's vocabulary when its table was padded to a multiple of 64 (nanoGPT pads
    /// GPT-2's 50257 to 50304), so that case passes.
    /// </summary>
    public static void EnsureMatches(ITokenizer tokenizer, int modelVocabSize, string modelPath)
    {
        int n = tokenizer.VocabSize;
        if (n == modelVocabSize) return;
        bool padded = n < modelVocabSize && modelVocabSize % 64 == 0 && modelVocabSize - n < 64;
        if (padded) return;
        throw new TokenizerException($"tokenizer {tokenizer.Source} has {n} tokens but model {modelPath} expects {modelVocabSize}");
    }

    /// <summary>llama2.c names a custom vocabulary tok{N}.bin and the Llama 2 one tokenizer.bin; the
    /// header's vocab size says which one belongs to the checkpoint.</summary>
    private static ITokenizer BesideLlama2cCheckpoint(string modelPath, string directory)
    {
        int vocab;
        try { vocab = Llama2cLoader.ReadConfig(modelPath, out _).VocabSize; }
        catch (ModelFormatException e) { throw new TokenizerException($"{modelPath}: cannot tell its vocabulary size: {e.Message}", e); }

        var candidates = new List<string> { Path.Combine(directory, $"tok{vocab}.bin"), Path.Combine(directory, Llama2Tokenizer) };
        candidates.AddRange(Directory.EnumerateFiles(directory, "tok*.bin").Order(StringComparer.Ordinal));
        var existing = candidates
            .Where(p => File.Exists(p) && !Path.GetFullPath(p).Equals(Path.GetFullPath(modelPath), StringComparison.Ordinal))
            .Distinct().ToList();
        if (existing.Count == 0)
        {
            // llama2.c keeps the SentencePiece model its tokenizer.bin was exported from beside it; alone, it serves too.
            string sentencePiece = Path.Combine(directory, SentencePieceModel);
            if (File.Exists(sentencePiece))
            {
                var tokenizer = SentencePieceTokenizer.Load(sentencePiece);
                EnsureMatches(tokenizer, vocab, modelPath);
                return tokenizer;
            }
            throw new TokenizerException($"{modelPath}: no llama2.c tokenizer beside it (looked for tok{vocab}.bin, {Llama2Tokenizer}, tok*.bin, {SentencePieceModel} in {directory}); pass one explicitly");
        }

        ITokenizer? first = null;
        foreach (string path in existing)
        {
            var tokenizer = Llama2cTokenizer.Load(path);
            if (tokenizer.VocabSize == vocab) return tokenizer;
            first ??= tokenizer;
        }
        EnsureMatches(first!, vocab, modelPath);
        return first!;
    }

    private static ITokenizer? FromDirectory(string directory)
    {
        string model = Path.Combine(directory, SentencePieceModel);
        if (File.Exists(model)) return SentencePieceTokenizer.Load(model);
        string vocab = Path.Combine(directory, VocabJson), merges = Path.Combine(directory, MergesTxt);
        if (File.Exists(vocab) && File.Exists(merges)) return Gpt2Tokenizer.FromFiles(vocab, merges);
        if (File.Exists(vocab) && ReadRoot(vocab) is { } root && CharTokenizer.LooksLike(root)) return CharTokenizer.Load(vocab);
        string llama2 = Path.Combine(directory, Llama2Tokenizer);
        if (File.Exists(llama2)) return Llama2cTokenizer.Load(llama2);
        var tok = Directory.EnumerateFiles(directory, "tok*.bin").Order(StringComparer.Ordinal).FirstOrDefault();
        return tok is null ? null : Llama2cTokenizer.Load(tok);
    }

    private static ITokenizer FromJson(string path, string directory)
    {
        var root = ReadRoot(path) ?? throw new TokenizerException($"{path}: not valid JSON");
        if (CharTokenizer.LooksLike(root)) return CharTokenizer.Load(path);
        if (TracrTokenizer.LooksLike(root)) return TracrTokenizer.Load(path);
        string merges = Path.Combine(directory, MergesTxt);
        if (File.Exists(merges)) return Gpt2Tokenizer.FromFiles(path, merges);
        throw new TokenizerException($"{path}: neither a character vocabulary (\"stoi\"), a Tracr description (\"vocab\" + \"config\"), nor a GPT-2 vocab.json (no {MergesTxt} beside it)");
    }

    private static JsonElement? ReadRoot(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsGpt2Config(string configPath) =>
        File.Exists(configPath) && ReadRoot(configPath) is { ValueKind: JsonValueKind.Object } root
        && root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String
        && type.GetString() is "gpt2";

    private static bool IsBuiltInName(string name) =>
        name.Equals(Gpt2Tokenizer.BuiltInName, StringComparison.OrdinalIgnoreCase) || name.Equals("gpt2", StringComparison.OrdinalIgnoreCase);

    private static TokenizerException NothingIn(string directory, string? modelPath = null) =>
        new($"{modelPath ?? directory}: no tokenizer found in {directory} (looked for {SentencePieceModel}, {VocabJson} + {MergesTxt}, a character {VocabJson}, {Llama2Tokenizer}, tok*.bin, or a GPT-2 config.json); pass one explicitly");
}
