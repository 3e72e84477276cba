using System.Text.Json;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Tests.Models;

public class MinGptReferenceTests
{
    private static string ModelPath => SharedData.Model("slm4096-gpt", "slm4096.safetensors");

    [SharedFact]
    public void Slm4096_ConfigComesFromMetadata()
    {
        var (config, weights) = MinGptLoader.Load(ModelPath);
        Assert.Equal((4, 4, 64, 256, 54, 128), (config.Layers, config.Heads, config.ModelDim, config.MlpDim, config.VocabSize, config.MaxSeqLen));
        Assert.Equal(Activation.GeluErf, config.MlpActivation);
        Assert.True(config.TiedEmbeddings);
        Assert.Same(weights.TokenEmbedding, weights.Unembedding);
        Assert.Equal(211_712, config.ParameterCount);
    }

    [SharedFact]
    public void Slm4096_GreedyContinuationOfPrompt_MatchesReferenceIdsAndLogits()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("slm4096-gpt", "reference_output.json")));
        int[] Ints(string key) => doc.RootElement.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var prompt = Ints("prompt_ids");
        var expected = Ints("greedy_ids");
        var logits8 = doc.RootElement.GetProperty("logits_last_prompt_pos_first8").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        var loaded = ModelLoader.Load(ModelPath);
        Assert.Equal(ModelFileKind.MinGpt, loaded.Kind);
        var model = new Transformer(loaded.Config, loaded.Weights, ReferenceKernels.Instance);
        var cache = new KvCache(loaded.Config, 1, prompt.Length + expected.Length);

        var logits = model.Forward(prompt, 1, cache, lastOnly: true).Span;
        for (int j = 0; j < logits8.Length; j++)
            Assert.True(Math.Abs(logits[j] - logits8[j]) <= 1e-4f * (1 + Math.Abs(logits8[j])), $"logit {j}: {logits[j]} vs {logits8[j]}");
        var ids = new List<int>();
        int token = Llama2cReferenceTests.ArgMax(logits);
        for (int i = 0; i < expected.Length; i++)
        {
            ids.Add(token);
            if (i + 1 < expected.Length) token = Llama2cReferenceTests.ArgMax(model.Forward([token], 1, cache, lastOnly: true).Span);
        }
        Assert.Equal(expected, ids);
    }
}
