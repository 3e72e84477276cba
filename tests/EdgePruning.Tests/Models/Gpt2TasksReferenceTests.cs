using System.Text.Json;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Models;

/// <summary>
/// The gpt2-tasks model (a GPT-2-architecture model trained on IOI, GT and GP) against its PyTorch float32
/// reference outputs: tokens, the last prompt position's top-10 and 20 fixed logits, and the greedy continuation.
/// </summary>
public class Gpt2TasksReferenceTests
{
    private static string Dir => SharedData.Model("gpt2-tasks");

    public static TheoryData<int> Prompts() => [0, 1, 2, 3, 4, 5];

    [SharedTheory]
    [MemberData(nameof(Prompts))]
    public void Prompt_MatchesTheReferenceTokensLogitsAndGreedyContinuation(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "reference_output.json")));
        var fixedIds = doc.RootElement.GetProperty("fixed_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var p = doc.RootElement.GetProperty("prompts")[index];
        int[] Ints(string key) => p.GetProperty(key).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] Floats(string key) => p.GetProperty(key).EnumerateArray().Select(e => e.GetSingle()).ToArray();

        var loaded = ModelLoader.Load(Dir);
        Assert.Equal(ModelFamily.Gpt2, loaded.Config.Family);
        Assert.Equal((4, 4, 256, 50257), (loaded.Config.Layers, loaded.Config.Heads, loaded.Config.ModelDim, loaded.Config.VocabSize));
        var tokenizer = TokenizerLoader.ForModel(Dir);
        var ids = Ints("token_ids");
        Assert.Equal(ids, tokenizer.Encode(p.GetProperty("prompt").GetString()!));

        var model = new Transformer(loaded.Config, loaded.Weights, CpuKernels.Instance);
        var logits = model.Forward(ids, 1, lastOnly: true).Span.ToArray();
        void Close(int id, float expected) =>
            Assert.True(Math.Abs(logits[id] - expected) <= 2e-4f * (1 + Math.Abs(expected)), $"prompt {index}, token {id}: {logits[id]} vs {expected}");
        var fixedLogits = Floats("fixed_ids_logits");
        for (int j = 0; j < fixedIds.Length; j++) Close(fixedIds[j], fixedLogits[j]);
        var top = Ints("top10_ids");
        var topLogits = Floats("top10_logits");
        for (int j = 0; j < top.Length; j++) Close(top[j], topLogits[j]);
        Assert.Equal(top[0], Llama2cReferenceTests.ArgMax(logits));

        var greedy = new List<int>();
        var seq = ids.ToList();
        for (int i = 0; i < 3; i++)
        {
            int next = Llama2cReferenceTests.ArgMax(model.Forward(seq.ToArray(), 1, lastOnly: true).Span);
            greedy.Add(next);
            seq.Add(next);
        }
        Assert.Equal(Ints("greedy_3_ids"), greedy);
    }
}
