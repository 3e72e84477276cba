using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// Edge Pruning on a real language model: stories260K (Llama architecture with grouped-query attention)
/// on TinyStories-style gendered-pronoun prompts ("... a girl named Lily. ..." → " she" vs " he") under
/// interchange ablation keeps ≥ 95% of the edges out while the circuit stays close to the full model.
/// </summary>
public class StoriesPronounPruningTests(ITestOutputHelper output)
{
    [SharedFact]
    public void Stories260K_PrunesToAbove95PercentSparsity_KeepingAccuracyNearTheFullModel()
    {
        var job = PruningJob.Create(SharedData.Model("stories260K", "stories260K.bin"), "gp-stories", CpuKernels.Instance, o => o with
        {
            TargetEdgeSparsity = 0.96, Steps = 1000, SparsityWarmupSteps = 600, LrWarmupSteps = 50, Batch = 8,
        });
        var dir = Directory.CreateTempSubdirectory("ep-gp-");
        try
        {
            Assert.True(job.Train(dir.FullName, null, CancellationToken.None));
            var (circuit, _) = job.Finish(0);
            foreach (var (k, v) in circuit.Metrics) output.WriteLine($"{k} = {v}");
            output.WriteLine(string.Join(", ", circuit.KeptEdgeNames));

            Assert.True(circuit.EdgeSparsity >= 0.95, $"edge sparsity {circuit.EdgeSparsity}");
            double full = circuit.Metrics["accuracy_full"], pruned = circuit.Metrics["accuracy"];
            Assert.True(full >= 0.9, $"the full model's accuracy {full} should be high on this task");
            Assert.True(pruned >= full - 0.1, $"circuit accuracy {pruned} vs full model {full}");
            Assert.True(circuit.Metrics["logit_diff"] > 0, "the circuit should still prefer the right pronoun on average");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
