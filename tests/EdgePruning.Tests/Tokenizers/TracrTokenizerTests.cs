using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class TracrTokenizerTests
{
    private static TracrTokenizer Load(string name) => TracrTokenizer.Load(SharedData.Model("tracr", name + ".json"));

    [SharedFact]
    public void Reverse_SymbolsMapToTheirIds()
    {
        var tokenizer = Load("reverse");
        Assert.Equal([3, 0, 1, 2], tokenizer.Encode("BOS 1 2 3"));
        Assert.Equal([3, 2, 2], tokenizer.Encode("3  3", addBos: true));
        Assert.Equal(5, tokenizer.VocabSize);
        Assert.Equal(3, tokenizer.BosId);
        Assert.Equal(4, tokenizer.PadId);
        Assert.Null(tokenizer.EosId);
    }

    [SharedFact]
    public void Xproportion_SymbolsMapToTheirIds()
    {
        var tokenizer = Load("xproportion");
        Assert.Equal([0, 5, 1, 3], tokenizer.Encode("BOS x a c"));
        Assert.Equal(6, tokenizer.VocabSize);
        Assert.Equal(0, tokenizer.BosId);
        Assert.Equal(4, tokenizer.PadId);
    }

    [SharedTheory]
    [InlineData("reverse", "BOS 1 2 3 compiler_pad")]
    [InlineData("xproportion", "BOS x a c b x")]
    public void EncodeThenDecode_GivesTheTextBack(string name, string text)
    {
        var tokenizer = Load(name);
        var ids = tokenizer.Encode(text);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal(text, tokenizer.TokenText(ids[0]) + string.Concat(ids.Zip(ids.Skip(1)).Select(p => tokenizer.DecodeToken(p.First, p.Second))));
    }

    [SharedFact]
    public void UnknownSymbol_IsNamed()
    {
        var e = Assert.Throws<TokenizerException>(() => Load("xproportion").Encode("BOS x d"));
        Assert.Contains("\"d\"", e.Message);
        Assert.Contains("xproportion.json", e.Message);
    }
}
