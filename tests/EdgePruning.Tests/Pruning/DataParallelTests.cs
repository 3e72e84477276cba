using EdgePruning.Pruning;
using EdgePruning.Pruning.Training;
using EdgePruning.Tests.Runtime;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// Data parallel training over two GPUs (two emulated devices under the CUDA emulator): the micro-batches dealt out,
/// the gradients all-reduced with NCCL, give what one GPU gives on the whole batch, step after step.
/// </summary>
public class DataParallelTests(ITestOutputHelper output)
{
    /// <summary>A job on the built-in xproportion program (compiled here, no files needed) on <paramref name="device"/>.</summary>
    private static PruningJob Job(RunDevice device)
    {
        var program = EdgePruning.Pruning.Rasp.Programs.Get("xproportion");
        var compiled = program.Compile();
        return PruningJob.Create(compiled.ToLoadedModel("rasp:xproportion"), EdgePruning.Pruning.Rasp.RaspTasks.Create(program, compiled), device,
            Shared(program.Recipe()));
    }

    /// <summary>Four micro-batches of four (two per GPU), masks near the middle so the KL is far from 0, interchange-free zero ablation.</summary>
    private static PruningOptions Shared(PruningOptions o) => o with
    {
        Steps = 8, Batch = 16, MicroBatch = 4, InitMean = 2, InitStd = 1, LrWarmupSteps = 0, SparsityWarmupSteps = 2, Seed = 5,
    };

    [TwoGpuFact]
    public void TwoGpus_GiveOneGpusGradients_AndMasks_StepByStep()
    {
        using var one = RunDevice.Open("cuda:0", "f32");
        using var two = RunDevice.Open("cuda:0,1", "f32");
        Assert.Equal(2, two.Backends.Count);
        var single = Job(one);
        var parallel = Job(two);
        Assert.NotNull(parallel.Pruner.Parallel);
        Assert.Equal("cuda:0,cuda:1", parallel.DeviceName);
        double largestKl = 0;
        for (int step = 0; step < 8; step++)
        {
            var a = single.Pruner.Step();
            var b = parallel.Pruner.Step();
            var ga = single.Pruner.LastEdgeGradient!.Span.ToArray();
            var gb = parallel.Pruner.LastEdgeGradient!.Span.ToArray();
            double norm = Math.Sqrt(ga.Sum(g => (double)g * g));
            double difference = Math.Sqrt(ga.Zip(gb, (x, y) => (double)(x - y) * (x - y)).Sum());
            output.WriteLine($"step {step}: KL {a.Kl:G9} (1 GPU) {b.Kl:G9} (2 GPUs); |Δg|/|g| {difference / norm:G3}; tokens {a.Tokens} {b.Tokens}");
            largestKl = Math.Max(largestKl, a.Kl);
            Assert.Equal(a.Tokens, b.Tokens);
            Assert.True(Math.Abs(a.Kl - b.Kl) <= 1e-5 * a.Kl, $"step {step}: KL {a.Kl} on one GPU, {b.Kl} on two");
            Assert.True(norm > 0 && difference <= 1e-5 * norm, $"step {step}: gradients differ by {difference} (norm {norm})");
        }
        Assert.True(largestKl > 1e-2, $"the KL stays below {largestKl}: too small for the comparison to mean anything");
        double apart = single.Pruner.State.EdgeLogAlpha.Zip(parallel.Pruner.State.EdgeLogAlpha, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(apart < 1e-4, $"log α differs by {apart} after 8 steps");
        var (c1, _) = single.Finish(0);
        var (c2, _) = parallel.Finish(0);
        Assert.Equal(c1.KeptEdgeNames, c2.KeptEdgeNames);
    }

    [TwoGpuFact]
    public void TheSameGpuTwice_IsRefused()
    {
        var error = Assert.ThrowsAny<EdgePruning.Runtime.EdgePruningException>(() => RunDevice.Open("cuda:1,1", "f32").Dispose());
        Assert.Contains("each GPU may appear once", error.Message);
    }
}
