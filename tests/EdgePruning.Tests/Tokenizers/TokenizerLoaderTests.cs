using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

public class TokenizerLoaderTests
{
    [SharedTheory]
    [InlineData("stories260K/tok512.bin", typeof(Llama2cTokenizer), 512)]
    [InlineData("llama2c-tokenizer/tokenizer.bin", typeof(Llama2cTokenizer), 32000)]
    [InlineData("llama2c-tokenizer", typeof(Llama2cTokenizer), 32000)]
    [InlineData("slm4096-gpt/vocab.json", typeof(CharTokenizer), 54)]
    [InlineData("slm4096-gpt", typeof(CharTokenizer), 54)]
    [InlineData("tracr/reverse.json", typeof(TracrTokenizer), 5)]
    [InlineData("tracr/xproportion.json", typeof(TracrTokenizer), 6)]
    public void Load_ExplicitPath_PicksTheFormat(string relative, Type expected, int vocabSize)
    {
        var tokenizer = TokenizerLoader.Load(SharedData.Model(relative.Split('/')));
        Assert.IsType(expected, tokenizer);
        Assert.Equal(vocabSize, tokenizer.VocabSize);
    }

    [SharedTheory]
    [InlineData("stories260K/stories260K.bin", typeof(Llama2cTokenizer), "stories260K/tok512.bin")]
    [InlineData("aidreams260K/aidreams260K.bin", typeof(Llama2cTokenizer), "aidreams260K/tok512.bin")]
    [InlineData("slm4096-gpt/slm4096.safetensors", typeof(CharTokenizer), "slm4096-gpt/vocab.json")]
    [InlineData("tracr/reverse.safetensors", typeof(TracrTokenizer), "tracr/reverse.json")]
    [InlineData("tracr/xproportion.safetensors", typeof(TracrTokenizer), "tracr/xproportion.json")]
    public void ForModel_FindsTheTokenizerBesideTheWeights(string model, Type expected, string tokenizerFile)
    {
        var tokenizer = TokenizerLoader.ForModel(SharedData.Model(model.Split('/')));
        Assert.IsType(expected, tokenizer);
        Assert.Equal(Path.GetFullPath(SharedData.Model(tokenizerFile.Split('/'))), Path.GetFullPath(tokenizer.Source));
    }

    [Fact]
    public void Load_BuiltInName_IsR50k()
    {
        Assert.Same(Gpt2Tokenizer.R50k(), TokenizerLoader.Load("r50k_base"));
        Assert.Same(Gpt2Tokenizer.R50k(), TokenizerLoader.Load("gpt2"));
    }

    [Fact]
    public void ForModel_HuggingFaceGpt2DirectoryWithoutTokenizerFiles_UsesR50k()
    {
        string dir = TempDirectory();
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"gpt2\", \"vocab_size\": 50257}");
            Assert.Same(Gpt2Tokenizer.R50k(), TokenizerLoader.ForModel(dir));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ForModel_HuggingFaceDirectoryWithVocabAndMerges_UsesThem()
    {
        var tokenizer = TokenizerLoader.ForModel(R50kAsHuggingFaceFiles.Directory);
        Assert.IsType<Gpt2Tokenizer>(tokenizer);
        Assert.Equal([15496, 995], tokenizer.Encode("Hello world"));
    }

    [Fact]
    public void ForModel_DirectoryWithNothingUsable_SaysWhatItLookedFor()
    {
        string dir = TempDirectory();
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), "{\"model_type\": \"llama\"}");
            var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.ForModel(dir));
            Assert.Contains(dir, e.Message);
            Assert.Contains("tokenizer.model", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [SharedFact]
    public void EnsureMatches_Stories260KWithTheLlama2Tokenizer_Fails()
    {
        string tokenizerPath = SharedData.Model("llama2c-tokenizer", "tokenizer.bin");
        string modelPath = SharedData.Model("stories260K", "stories260K.bin");
        var tokenizer = TokenizerLoader.Load(tokenizerPath);

        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.EnsureMatches(tokenizer, 512, modelPath));
        Assert.Equal($"tokenizer {tokenizerPath} has 32000 tokens but model {modelPath} expects 512", e.Message);
    }

    [SharedFact]
    public void ForModel_Llama2cCheckpointBesideOnlyTheWrongTokenizer_Fails()
    {
        string dir = TempDirectory();
        try
        {
            string model = Path.Combine(dir, "stories260K.bin");
            File.Copy(SharedData.Model("stories260K", "stories260K.bin"), model);
            File.Copy(SharedData.Model("llama2c-tokenizer", "tokenizer.bin"), Path.Combine(dir, "tokenizer.bin"));
            var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.ForModel(model));
            Assert.Contains("has 32000 tokens but model", e.Message);
            Assert.Contains("expects 512", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [SharedFact]
    public void ForModel_Llama2cCheckpoint_PrefersTheTokenizerOfItsVocabSize()
    {
        string dir = TempDirectory();
        try
        {
            string model = Path.Combine(dir, "stories260K.bin");
            File.Copy(SharedData.Model("stories260K", "stories260K.bin"), model);
            File.Copy(SharedData.Model("llama2c-tokenizer", "tokenizer.bin"), Path.Combine(dir, "tokenizer.bin"));
            File.Copy(SharedData.Model("stories260K", "tok512.bin"), Path.Combine(dir, "tok512.bin"));
            Assert.Equal(512, TokenizerLoader.ForModel(model).VocabSize);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void EnsureMatches_EmbeddingPaddedToAMultipleOf64_Passes()
    {
        TokenizerLoader.EnsureMatches(Gpt2Tokenizer.R50k(), 50304, "nanogpt.pt");
        TokenizerLoader.EnsureMatches(Gpt2Tokenizer.R50k(), 50257, "gpt2");
        Assert.Throws<TokenizerException>(() => TokenizerLoader.EnsureMatches(Gpt2Tokenizer.R50k(), 50256, "gpt2"));
        Assert.Throws<TokenizerException>(() => TokenizerLoader.EnsureMatches(Gpt2Tokenizer.R50k(), 50368, "gpt2"));
    }

    [Fact]
    public void Load_MissingPath_NamesIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}", "tok512.bin");
        var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Load_UnknownExtension_NamesIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"weird-{Guid.NewGuid():N}.xyz");
        File.WriteAllText(path, "?");
        try
        {
            var e = Assert.Throws<TokenizerException>(() => TokenizerLoader.Load(path));
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    private static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"tokenizer-loader-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
