using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class SentencePieceTokenizerTests
{
    [SharedTheory]
    [InlineData("stories260K")]
    [InlineData("aidreams260K")]
    public void ModelOfALlama2cVocab_EncodesLikeLlama2c(string model)
    {
        var llama2c = Llama2cTokenizer.Load(SharedData.Model(model, "tok512.bin"));
        string path = Path.Combine(Path.GetTempPath(), $"{model}-{Guid.NewGuid():N}.model");
        File.WriteAllBytes(path, SentencePieceModelWriter.FromLlama2c(llama2c));
        try
        {
            var tokenizer = SentencePieceTokenizer.Load(path);
            Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.Load(path));
            Assert.Equal(512, tokenizer.VocabSize);
            Assert.Equal(1, tokenizer.BosId);
            Assert.Equal(2, tokenizer.EosId);
            foreach (string text in new[] { "Once upon a time, there was a little girl named Lily.", "Hello world", "café — naïve 日本", "a  b" })
            {
                var ids = tokenizer.Encode(text, addBos: true);
                Assert.Equal(llama2c.Encode(text, addBos: true), ids);
                Assert.Equal(text, tokenizer.Decode(ids));
                var streamed = new StreamingDecoder(tokenizer, ids[0]);
                Assert.Equal(text, string.Concat(ids.Skip(1).Select(streamed.Push)) + streamed.Flush());
            }
            int once = llama2c.Encode("Once")[0];
            Assert.Equal(llama2c.TokenText(once).Replace(' ', '\u2581'), tokenizer.TokenText(once));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NotAProtobufModel_NamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bogus-{Guid.NewGuid():N}.model");
        File.WriteAllText(path, "definitely not a sentencepiece model");
        try
        {
            var e = Assert.Throws<TokenizerException>(() => SentencePieceTokenizer.Load(path));
            Assert.Contains(path, e.Message);
            Assert.Contains("not a SentencePiece BPE model", e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "tokenizer.model");
        var e = Assert.Throws<TokenizerException>(() => SentencePieceTokenizer.Load(path));
        Assert.Contains(path, e.Message);
    }
}
