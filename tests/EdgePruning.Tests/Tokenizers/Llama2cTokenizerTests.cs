using System.Text;
using System.Text.Json;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class Llama2cTokenizerTests
{
    public static TheoryData<string> AllFiles => new()
    {
        Path.Combine("stories260K", "tok512.bin"),
        Path.Combine("aidreams260K", "tok512.bin"),
        Path.Combine("llama2c-tokenizer", "tokenizer.bin"),
    };

    private static Llama2cTokenizer Load(string relative) => Llama2cTokenizer.Load(SharedData.Model(relative));

    [SharedTheory]
    [InlineData("stories260K")]
    [InlineData("aidreams260K")]
    public void GreedyIdsAfterBos_DecodeToReferenceText(string model)
    {
        var tokenizer = Load(Path.Combine(model, "tok512.bin"));
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model(model, "reference_output.json")));
        var ids = doc.RootElement.GetProperty("greedy_ids_from_BOS").EnumerateArray().Select(e => e.GetInt32());
        string expected = doc.RootElement.GetProperty("greedy_text").GetString()!;

        Assert.Equal(expected, tokenizer.Decode([Llama2cTokenizer.Bos, .. ids]));
    }

    [SharedTheory]
    [InlineData("stories260K")]
    [InlineData("aidreams260K")]
    public void GreedyIds_StreamedOneByOne_AddUpToDecode(string model)
    {
        var tokenizer = Load(Path.Combine(model, "tok512.bin"));
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model(model, "reference_output.json")));
        var ids = doc.RootElement.GetProperty("greedy_ids_from_BOS").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var perToken = new StringBuilder();
        int previous = Llama2cTokenizer.Bos;
        foreach (int id in ids) { perToken.Append(tokenizer.DecodeToken(previous, id)); previous = id; }

        Assert.Equal(tokenizer.Decode([Llama2cTokenizer.Bos, .. ids]), perToken.ToString());
    }

    [SharedFact]
    public void HelloWorld_With32000Vocab_MatchesLlama2cReadme()
    {
        var tokenizer = Load(Path.Combine("llama2c-tokenizer", "tokenizer.bin"));
        Assert.Equal(32000, tokenizer.VocabSize);
        Assert.Equal([1, 15043, 3186], tokenizer.Encode("Hello world", addBos: true));
    }

    [SharedFact]
    public void OnceUponATime_WithStoriesVocab_IsTheStartOfTheGreedyStory()
    {
        var tokenizer = Load(Path.Combine("stories260K", "tok512.bin"));
        Assert.Equal([1, 403, 407, 261, 378], tokenizer.Encode("Once upon a time", addBos: true));
        Assert.Equal([1, 403, 407, 261, 378, 2], tokenizer.Encode("Once upon a time", addBos: true, addEos: true));
    }

    [SharedTheory]
    [MemberData(nameof(AllFiles))]
    public void EncodeThenDecode_GivesTheTextBack(string file)
    {
        var tokenizer = Load(file);
        foreach (string text in new[] { "Hello world", "Once upon a time, there was a little girl named Lily.\nThe end.", "café — naïve 日本 🎉", "  two  spaces", "", " " })
        {
            var ids = tokenizer.Encode(text, addBos: true);
            Assert.Equal(text, tokenizer.Decode(ids));
            var streamed = new StreamingDecoder(tokenizer, Llama2cTokenizer.Bos);
            Assert.Equal(text, string.Concat(ids.Skip(1).Select(streamed.Push)) + streamed.Flush());
        }
    }

    [SharedFact]
    public void EmptyText_IsJustBos()
    {
        var tokenizer = Load(Path.Combine("stories260K", "tok512.bin"));
        Assert.Equal([1], tokenizer.Encode("", addBos: true));
        Assert.Empty(tokenizer.Encode(""));
    }

    [SharedFact]
    public void CharactersOutsideTheVocab_FallBackToBytePlusThree()
    {
        var tokenizer = Load(Path.Combine("stories260K", "tok512.bin"));
        var ids = tokenizer.Encode("日", addBos: false);
        // The dummy-prefix space, then 日 = E6 97 A5 as byte tokens.
        Assert.Equal([tokenizer.Encode(" ")[0], 0xE6 + 3, 0x97 + 3, 0xA5 + 3], ids);
        Assert.Equal("<0xE6>", tokenizer.TokenText(0xE6 + 3));
        Assert.Equal(" 日", tokenizer.Decode(ids));
    }

    [SharedTheory]
    [MemberData(nameof(AllFiles))]
    public void PriorityQueueMerge_EqualsRunCRescan(string file)
    {
        var tokenizer = Load(file);
        var byPiece = new Dictionary<string, int>();
        for (int id = tokenizer.VocabSize - 1; id >= 0; id--) byPiece[tokenizer.TokenText(id)] = id;
        var random = new Random(7);
        string corpus = File.ReadAllText(SharedData.Model("slm4096-gpt", "corpus.txt")) + " café — naïve 日本 🎉 Ünïcödé ÆØÅ";
        for (int trial = 0; trial < 150; trial++)
        {
            int start = random.Next(corpus.Length), length = random.Next(0, 80);
            string text = corpus.Substring(start, Math.Min(length, corpus.Length - start));
            if (text.Length > 0 && char.IsLowSurrogate(text[0])) text = text[1..];
            Assert.Equal(RunCEncode(tokenizer, byPiece, text), tokenizer.Encode(text, addBos: true));
        }
    }

    [SharedFact]
    public void TruncatedFile_NamesTheFileAndTheToken()
    {
        byte[] whole = File.ReadAllBytes(SharedData.Model("stories260K", "tok512.bin"));
        string path = Path.Combine(Path.GetTempPath(), $"truncated-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, whole[..(whole.Length - 3)]);
        try
        {
            var e = Assert.Throws<TokenizerException>(() => Llama2cTokenizer.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated at token 511", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NegativeLength_IsRejected()
    {
        string path = Path.Combine(Path.GetTempPath(), $"negative-{Guid.NewGuid():N}.bin");
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes(7));
        bytes.AddRange(BitConverter.GetBytes(0f));
        bytes.AddRange(BitConverter.GetBytes(-5));
        File.WriteAllBytes(path, [.. bytes]);
        try
        {
            var e = Assert.Throws<TokenizerException>(() => Llama2cTokenizer.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("token 0 claims -5 bytes", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NotATokenizer_IsRejected()
    {
        string path = Path.Combine(Path.GetTempPath(), $"text-{Guid.NewGuid():N}.bin");
        File.WriteAllText(path, "this is a text file, not a tokenizer");
        try
        {
            var e = Assert.Throws<TokenizerException>(() => Llama2cTokenizer.Load(path));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [SharedFact]
    public void IdOutsideVocab_IsRejectedOnDecode()
    {
        var tokenizer = Load(Path.Combine("stories260K", "tok512.bin"));
        var e = Assert.Throws<TokenizerException>(() => tokenizer.Decode([1, 512]));
        Assert.Contains("512", e.Message);
    }

    /// <summary>run.c's encode as written there: rescan every adjacent pair after each merge.</summary>
    private static int[] RunCEncode(Llama2cTokenizer tokenizer, Dictionary<string, int> byPiece, string text)
    {
        var tokens = new List<int> { 1 };
        if (text.Length > 0) tokens.Add(byPiece[" "]);
        foreach (var rune in text.EnumerateRunes())
        {
            if (byPiece.TryGetValue(rune.ToString(), out int id)) tokens.Add(id);
            else foreach (byte b in Encoding.UTF8.GetBytes(rune.ToString())) tokens.Add(b + 3);
        }
        while (true)
        {
            float best = -1e10f;
            int bestIndex = -1, bestId = -1;
            for (int i = 0; i + 1 < tokens.Count; i++)
                if (byPiece.TryGetValue(tokenizer.TokenText(tokens[i]) + tokenizer.TokenText(tokens[i + 1]), out int id) && tokenizer.Score(id) > best)
                    (best, bestIndex, bestId) = (tokenizer.Score(id), i, id);
            if (bestIndex < 0) break;
            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
        return [.. tokens];
    }
}
