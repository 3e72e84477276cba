using System.Text.Json;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Tests.Models;

public class Llama2cReferenceTests
{
    [SharedTheory]
    [InlineData("stories260K", false)]
    [InlineData("aidreams260K", false)]
    [InlineData("stories260K", true)]
    [InlineData("aidreams260K", true)]
    public void GreedyFromBos_MatchesReferenceIdsAndLogits(string name, bool fastKernels)
    {
        var (config, weights) = Llama2cLoader.Load(SharedData.Model(name, name + ".bin"));
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model(name, "reference_output.json")));
        var expectedIds = doc.RootElement.GetProperty("greedy_ids_from_BOS").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var logits0 = doc.RootElement.GetProperty("logits_pos0_first8").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        var model = new Transformer(config, weights,
            fastKernels ? EdgePruning.Kernels.Cpu.CpuKernels.Instance : ReferenceKernels.Instance);
        var cache = new KvCache(config, 1, expectedIds.Length + 1);
        int token = config.BosTokenId;
        var ids = new List<int>();
        for (int i = 0; i < expectedIds.Length; i++)
        {
            var logits = model.Forward([token], 1, cache, lastOnly: true).Span;
            if (i == 0)
                for (int j = 0; j < logits0.Length; j++)
                    Assert.True(Math.Abs(logits[j] - logits0[j]) <= 1e-4f * (1 + Math.Abs(logits0[j])), $"logit {j}: {logits[j]} vs {logits0[j]}");
            token = ArgMax(logits);
            ids.Add(token);
        }
        Assert.Equal(expectedIds, ids);
    }

    internal static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
