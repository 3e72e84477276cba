using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Rasp;
using EdgePruning.Runtime;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Baselines;

/// <summary>
/// ACDC with many candidates per forward keeps the edges the sequential run keeps, on real compiled weights (the shared
/// Tracr models and the built-in RASP programs, zero ablation) at thresholds from where nearly every trial is rejected to
/// where nearly every one is accepted; on the device as on the host. The KL it reaches is the sequential run's up to the
/// rounding of a wider batch.
/// </summary>
public class AcdcBatchedTests(ITestOutputHelper output)
{
    private static readonly double[] Thresholds = [0, 1e-4, 1e-3, 1e-2, 0.1, 1];

    public static TheoryData<string> ProgramNames => new(Programs.All.Select(p => p.Name));

    [SharedTheory]
    [InlineData("reverse", 4)]
    [InlineData("reverse", 0)]
    [InlineData("xproportion", 3)]
    [InlineData("xproportion", 16)]
    public void OnTheTracrModels_KeepsTheSequentialEdges(string program, int candidates)
    {
        var job = PruningJob.Create(SharedData.Model("tracr", program + ".safetensors"), "tracr", CpuKernels.Instance, o => o);
        using var batches = new TaskBatches(job.Pruner, job.Task.Test, 64);
        AssertSameAsSequential(new CircuitScorer(batches), candidates, program);
    }

    [Theory]
    [MemberData(nameof(ProgramNames))]
    public void OnTheRaspPrograms_KeepsTheSequentialEdges(string name)
    {
        var program = Programs.Get(name);
        var compiled = program.Compile();
        var job = PruningJob.Create(compiled.ToLoadedModel("rasp:" + name), RaspTasks.Create(program, compiled), CpuKernels.Instance,
            program.Recipe() with { NodeMasks = false });
        using var batches = new TaskBatches(job.Pruner, job.Task.Test.Take(32).ToArray(), 32);
        AssertSameAsSequential(new CircuitScorer(batches), 6, name);
    }

    /// <summary>The grouped forwards on the device (under the emulator where there is no GPU) against the sequential run on the host.</summary>
    [CudaFact(Shared = true)]
    public void OnTheDevice_KeepsTheSequentialEdgesOfTheHost()
    {
        string path = SharedData.Model("tracr", "xproportion.safetensors");
        using var device = RunDevice.Open("cuda", "f32");
        var cuda = PruningJob.Create(path, "tracr", _ => device, o => o);
        var cpu = PruningJob.Create(path, "tracr", CpuKernels.Instance, o => o);
        var examples = cpu.Task.Test.Take(16).ToArray();
        using var onDevice = new TaskBatches(cuda.Pruner, examples, 16);
        using var onHost = new TaskBatches(cpu.Pruner, examples, 16);
        foreach (double tau in new[] { 1e-3, 0.1 })
        {
            var expected = Acdc.Run(new CircuitScorer(onHost), tau);
            var found = Acdc.Run(new CircuitScorer(onDevice), tau, candidatesPerForward: 8);
            output.WriteLine($"tau {tau}: {found.Kept.Count(k => k)} edges in {found.Forwards} device forwards; KL {found.Kl:G6} (host, sequential: {expected.Kl:G6})");
            Assert.Equal(expected.Kept, found.Kept);
            AssertKlClose(expected.Kl, found.Kl, $"tau {tau}");
        }
    }

    [SharedFact]
    public void NegativeCandidates_AreRefused()
    {
        var job = PruningJob.Create(SharedData.Model("tracr", "xproportion.safetensors"), "tracr", CpuKernels.Instance, o => o);
        using var batches = new TaskBatches(job.Pruner, job.Task.Test.Take(4).ToArray(), 4);
        var e = Assert.Throws<EdgePruningException>(() => Acdc.Run(new CircuitScorer(batches), 0.01, candidatesPerForward: -1));
        Assert.Contains("candidates per forward", e.Message);
    }

    private void AssertSameAsSequential(CircuitScorer scorer, int candidates, string what)
    {
        int accepted = 0, rejected = 0;
        foreach (double tau in Thresholds)
        {
            var sequential = Acdc.Run(scorer, tau);
            var batched = Acdc.Run(scorer, tau, candidatesPerForward: candidates);
            int kept = sequential.Kept.Count(k => k);
            output.WriteLine($"{what} tau {tau}: {kept} edges kept; {sequential.Evaluations} trials in {sequential.Forwards} forwards, " +
                $"{batched.Forwards} at K = {candidates}; KL {sequential.Kl:G6} / {batched.Kl:G6}");
            Assert.Equal(sequential.Kept, batched.Kept);
            Assert.Equal(sequential.Evaluations, batched.Evaluations);
            AssertKlClose(sequential.Kl, batched.Kl, $"{what} tau {tau}");
            accepted += sequential.Kept.Length - kept;
            rejected += kept;
        }
        Assert.True(accepted > 0 && rejected > 0, $"{what}: {accepted} removals and {rejected} kept edges over the thresholds: both decisions must occur");
    }

    /// <summary>KLs summed in double from f32 logits of a batch computed wider: equal to 1e-6 absolute plus 1e-4 relative.</summary>
    private static void AssertKlClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 + 1e-4 * Math.Abs(expected), $"{what}: KL {actual}, sequentially {expected}");
}
