using System.Text.Json;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class CharTokenizerTests
{
    private static CharTokenizer Load() => CharTokenizer.Load(SharedData.Model("slm4096-gpt", "vocab.json"));

    [SharedFact]
    public void ReferencePrompt_EncodesToPromptIds_AndGreedyIdsDecodeToGreedyText()
    {
        var tokenizer = Load();
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("slm4096-gpt", "reference_output.json")));
        var root = doc.RootElement;
        int[] Ints(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Assert.Equal(54, tokenizer.VocabSize);
        Assert.Equal(Ints("prompt_ids"), tokenizer.Encode(root.GetProperty("prompt").GetString()!));
        Assert.Equal(root.GetProperty("greedy_text").GetString(), tokenizer.Decode(Ints("greedy_ids")));
    }

    [SharedFact]
    public void WholeCorpus_RoundTrips()
    {
        var tokenizer = Load();
        string corpus = File.ReadAllText(SharedData.Model("slm4096-gpt", "corpus.txt"));
        Assert.Equal(corpus, tokenizer.Decode(tokenizer.Encode(corpus)));
    }

    [SharedFact]
    public void UnknownCharacter_IsNamed()
    {
        var e = Assert.Throws<TokenizerException>(() => Load().Encode("Q: é?"));
        Assert.Contains("'é'", e.Message);
        Assert.Contains("vocab.json", e.Message);
    }

    [SharedFact]
    public void Bos_IsRefused()
    {
        var tokenizer = Load();
        Assert.Null(tokenizer.BosId);
        Assert.Throws<TokenizerException>(() => tokenizer.Encode("a", addBos: true));
    }
}
