using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Tests.Models;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// The paper's Tracr result on the real compiled weights: Edge Pruning with the spec's recipe and zero
/// ablation finds exactly the ground-truth circuit, and the circuit alone reproduces the model's outputs.
/// </summary>
public class TracrRecoveryTests(ITestOutputHelper output)
{
    [SharedTheory]
    [InlineData("xproportion")]
    [InlineData("reverse")]
    public void SpecRecipe_RecoversGroundTruthCircuitExactly(string program)
    {
        var job = PruningJob.Create(SharedData.Model("tracr", program + ".safetensors"), "tracr", CpuKernels.Instance, o => o);
        var dir = Directory.CreateTempSubdirectory("ep-tracr-");
        try
        {
            Assert.True(job.Train(dir.FullName, null, CancellationToken.None));
            var (circuit, _) = job.Finish(0);
            var found = circuit.KeptEdgeNames.ToArray();
            output.WriteLine($"{program}: {found.Length} edges: {string.Join(", ", found)}");
            foreach (var (k, v) in circuit.Metrics) output.WriteLine($"  {k} = {v}");

            var comparison = CircuitComparison.Compare(found, EdgeGraphTests.GroundTruth(program));
            Assert.True(comparison.Identical, $"missing: {string.Join(", ", comparison.Missing)}; extra: {string.Join(", ", comparison.Extra)}");
            Assert.True(circuit.Metrics["kl"] < 1e-6, $"KL {circuit.Metrics["kl"]}");
            if (program == "reverse") Assert.Equal(1.0, circuit.Metrics["accuracy"]);
            else Assert.True(circuit.Metrics["scalar_error"] < 1e-5, $"scalar error {circuit.Metrics["scalar_error"]}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
