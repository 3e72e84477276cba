using EdgePruning.Models;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Tests.Models;

public class ModelLoaderTests
{
    // CodeLlama-13b-hf's config.json, as published.
    private const string CodeLlama13BConfig = """
        {
          "architectures": ["LlamaForCausalLM"],
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 5120,
          "initializer_range": 0.02,
          "intermediate_size": 13824,
          "max_position_embeddings": 16384,
          "model_type": "llama",
          "num_attention_heads": 40,
          "num_hidden_layers": 40,
          "num_key_value_heads": 40,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": null,
          "rope_theta": 1000000,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.33.0.dev0",
          "use_cache": true,
          "vocab_size": 32016
        }
        """;

    [Fact]
    public void ConfigOnlyDirectory_GivesTheCodeLlama13BShapeWithoutWeights()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), CodeLlama13BConfig);
        var c = ModelConfigReader.ReadConfig(dir.Path);
        Assert.Equal(ModelFamily.Llama, c.Family);
        Assert.Equal((40, 40, 40, 5120, 128, 13824, 32016, 16384), (c.Layers, c.Heads, c.EffectiveKvHeads, c.ModelDim, c.HeadDim, c.MlpDim, c.VocabSize, c.MaxSeqLen));
        Assert.Equal(1_000_000f, c.RopeTheta);
        Assert.False(c.TiedEmbeddings);
        Assert.Equal(13_016_028_160L, c.ParameterCount);

        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Fact]
    public void MissingPath_SaysNotFound()
    {
        string path = Path.Combine(Path.GetTempPath(), "edgeprune-no-such-model", "model.bin");
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Equal($"{path}: file not found", ex.Message);
        Assert.Contains("not found", Assert.Throws<ModelFormatException>(() => ModelConfigReader.ReadConfig(path)).Message);
    }

    [Fact]
    public void UnknownFile_SaysWhatWasExpected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("weights.pt");
        File.WriteAllText(path, "not a model");
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.StartsWith(path, ex.Message);
        Assert.Contains("config.json", ex.Message);
        Assert.Contains(".bin", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void DirectoryWithoutConfig_OrOfAnotherArchitecture_IsRejected()
    {
        using var dir = new TempDirectory();
        Assert.Contains("config.json", Assert.Throws<ModelFormatException>(() => ModelLoader.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("config.json"), """{"model_type": "bert", "architectures": ["BertModel"]}""");
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("bert", ex.Message);
        Assert.Contains("gpt2 or llama", ex.Message);
    }

    [Fact]
    public void SafetensorsOfNoKnownLayout_IsRejected()
    {
        using var dir = new TempDirectory();
        string path = dir.File("other.safetensors");
        new SafetensorsWriter().Add("encoder.weight", new float[4], 2, 2).Write(path);
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Contains("other.safetensors", ex.Message);
        Assert.Contains("minGPT", ex.Message);
    }

    [Fact]
    public void TruncatedLlama2cCheckpoint_IsRejectedClearly()
    {
        var c = KnownShapes.Llama(layers: 1, heads: 2, kvHeads: 2, dim: 8, mlp: 16, vocab: 10, positions: 4) with { TiedEmbeddings = true };
        var w = RandomModelWriter.CreateWeights(c, 1);
        using var dir = new TempDirectory();
        string path = dir.File("tiny.bin");
        HfLlamaLoaderTests.WriteLlama2c(path, c, w);
        var loaded = ModelLoader.Load(path);
        Assert.Equal(ModelFileKind.Llama2c, loaded.Kind);
        Assert.Equal(c, loaded.Config);

        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^12]);
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(path));
        Assert.Contains("tiny.bin", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void HfDirectories_AreDetectedFromConfig()
    {
        using var gpt2 = new TempDirectory();
        using var llama = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(gpt2.Path, KnownShapes.Gpt2(1, 2, 8, 11, 4), seed: 1);
        RandomModelWriter.WriteHfLlama(llama.Path, KnownShapes.Llama(1, 2, 1, 8, 12, 11, 4), seed: 1);
        Assert.Equal(ModelFileKind.HfGpt2, ModelLoader.Detect(gpt2.Path).Kind);
        Assert.Equal(ModelFileKind.HfLlama, ModelLoader.Detect(llama.Path).Kind);
        Assert.Equal(ModelFileKind.HfLlama, ModelLoader.Detect(llama.File("config.json")).Kind);
        Assert.Equal(ModelConfigReader.ReadConfig(llama.Path), ModelLoader.Load(llama.Path).Config);
    }

    [SharedTheory]
    [InlineData("stories260K/stories260K.bin", ModelFileKind.Llama2c)]
    [InlineData("slm4096-gpt/slm4096.safetensors", ModelFileKind.MinGpt)]
    [InlineData("tracr/reverse.safetensors", ModelFileKind.Tracr)]
    [InlineData("tracr/xproportion.safetensors", ModelFileKind.Tracr)]
    public void SharedModels_AreDetected_AndConfigReaderAgreesWithLoader(string relative, ModelFileKind kind)
    {
        string path = SharedData.Model(relative.Split('/'));
        var loaded = ModelLoader.Load(path);
        Assert.Equal(kind, loaded.Kind);
        Assert.Equal(loaded.Config, ModelConfigReader.ReadConfig(path));
        Assert.Equal(kind == ModelFileKind.Tracr, loaded.Tracr is not null);
        Assert.False(string.IsNullOrEmpty(loaded.FormatName));
    }
}
