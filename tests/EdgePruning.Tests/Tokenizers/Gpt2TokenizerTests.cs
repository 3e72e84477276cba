using System.Text.Json;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class Gpt2TokenizerTests
{
    private static readonly string[] Texts =
    [
        "Hello world",
        " When Mary and John went to the store, John gave a drink to",
        "café — naïve 日本 🎉",
        "  multiple   spaces\n\nnew lines\tand tabs ",
        "I'll've it's 12345 don't",
        "",
    ];

    [Fact]
    public void R50k_KnownEncodings()
    {
        var tokenizer = Gpt2Tokenizer.R50k();
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
        Assert.Equal([1649, 5335, 290, 1757, 1816, 284, 262, 3650], tokenizer.Encode(" When Mary and John went to the store"));
        Assert.Equal([50256, 15496, 995], tokenizer.Encode("Hello world", addBos: true));
    }

    [Fact]
    public void R50k_VocabularyAndSpecialTokens()
    {
        var tokenizer = Gpt2Tokenizer.R50k();
        Assert.Equal(50257, tokenizer.VocabSize);
        Assert.Equal(50256, tokenizer.BosId);
        Assert.Equal(50256, tokenizer.EosId);
        Assert.Equal("<|endoftext|>", tokenizer.TokenText(50256));
        Assert.Equal(" Mary", tokenizer.TokenText(5335));
    }

    [Fact]
    public void R50k_EncodeThenDecode_GivesTheTextBack()
    {
        var tokenizer = Gpt2Tokenizer.R50k();
        foreach (string text in Texts)
        {
            var ids = tokenizer.Encode(text, addBos: true);
            Assert.Equal(text, tokenizer.Decode(ids));
            var streamed = new StreamingDecoder(tokenizer, ids[0]);
            Assert.Equal(text, string.Concat(ids.Skip(1).Select(streamed.Push)) + streamed.Flush());
        }
    }

    [Fact]
    public void R50k_DecodeToken_IsTheTokenAfterItsPredecessor()
    {
        var tokenizer = Gpt2Tokenizer.R50k();
        Assert.Equal(" Mary", tokenizer.DecodeToken(1649, 5335));
        Assert.Equal("Hello", tokenizer.DecodeToken(50256, 15496));
    }

    [Fact]
    public void R50k_IdOutsideVocab_IsRejected()
    {
        var e = Assert.Throws<TokenizerException>(() => Gpt2Tokenizer.R50k().Decode([50257]));
        Assert.Contains("50257", e.Message);
    }

    [Fact]
    public void HuggingFaceFiles_FromTheSameRanks_EncodeLikeR50k()
    {
        var files = Gpt2Tokenizer.FromDirectory(R50kAsHuggingFaceFiles.Directory);
        var builtIn = Gpt2Tokenizer.R50k();
        Assert.Equal(50257, files.VocabSize);
        Assert.Equal(50256, files.BosId);

        string corpus = File.Exists(CorpusPath) ? File.ReadAllText(CorpusPath) : string.Join(" ", Texts);
        var random = new Random(3);
        var samples = Texts.Concat(Enumerable.Range(0, 300).Select(_ =>
        {
            // Cut on character boundaries: half of a surrogate pair is not text either tokenizer can round-trip.
            int start = random.Next(corpus.Length);
            if (char.IsLowSurrogate(corpus[start])) start--;
            int end = Math.Min(start + random.Next(1, 120), corpus.Length);
            if (end < corpus.Length && char.IsLowSurrogate(corpus[end])) end++;
            return corpus[start..end];
        }));
        foreach (string text in samples)
        {
            var ids = files.Encode(text);
            Assert.Equal(builtIn.Encode(text), ids);
            Assert.Equal(text, files.Decode(ids));
        }
    }

    [Fact]
    public void SyntheticVocab_MergesInRankOrder()
    {
        // Bytes take ids 0..255 in bytes_to_unicode order of the byte value; three merges on top.
        string dir = Path.Combine(Path.GetTempPath(), $"tiny-bpe-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var vocab = new Dictionary<string, int>();
            for (int b = 0; b < 256; b++) vocab[R50kAsHuggingFaceFiles.ByteToChar[b].ToString()] = b;
            vocab["he"] = 256;
            vocab["Ġt"] = 257;
            vocab["Ġthe"] = 258;
            vocab["<|endoftext|>"] = 259;
            File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab));
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\nh e\nĠ t\nĠt he\n");

            var tokenizer = Gpt2Tokenizer.FromDirectory(dir);
            Assert.Equal(260, tokenizer.VocabSize);
            Assert.Equal(259, tokenizer.EosId);
            Assert.Equal([258], tokenizer.Encode(" the"));
            Assert.Equal([258, ' ', 256, 'r', 'e'], tokenizer.Encode(" the here"));
            Assert.Equal([0xC3, 0xA9], tokenizer.Encode("é"));
            Assert.Equal(" the here é", tokenizer.Decode(tokenizer.Encode(" the here é")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void MissingMerges_NamesTheFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"no-merges-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\"a\": 0}");
            var e = Assert.Throws<TokenizerException>(() => Gpt2Tokenizer.FromDirectory(dir));
            Assert.Contains(Path.Combine(dir, "merges.txt"), e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void VocabJsonThatIsNotAMap_NamesTheFile()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bad-vocab-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "[1, 2, 3]");
            File.WriteAllText(Path.Combine(dir, "merges.txt"), "#version: 0.2\n");
            var e = Assert.Throws<TokenizerException>(() => Gpt2Tokenizer.FromDirectory(dir));
            Assert.Contains(Path.Combine(dir, "vocab.json"), e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static string CorpusPath => SharedData.Root is null ? "" : SharedData.Model("slm4096-gpt", "corpus.txt");
}
