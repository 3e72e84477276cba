using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// The edge masks sampled and optimized on the device (<see cref="MaskMathPlace.Device"/>): the same noise, masks and
/// updates as the host mask math, a checkpoint that holds the device's masks, and a resumed run that ends where the
/// uninterrupted one does.
/// </summary>
public class DeviceMaskMathTests(ITestOutputHelper output)
{
    /// <summary>
    /// Tracr reverse from masks near the middle, both runs on the GPU, one with the mask math on the host (drawing the
    /// device's counter-based noise) and one on the device: every step's KL and sampled sparsity agree, and so do log α and the AdamW moments after the steps. The
    /// noise is the same bits on both sides; what differs is the order of Σ z and Σ g² (double on the device, f32 lanes on
    /// the host for the clipping norm) and an occasional last bit of log/exp, hence the stated tolerance of 1e-5 on log α.
    /// </summary>
    [CudaFact(Shared = true)]
    public void DeviceMaskMath_FollowsTheHostMaskMath_StepByStep()
    {
        const int steps = 12;
        PruningOptions Moving(PruningOptions o, MaskMathPlace place) =>
            o with { InitMean = 2, InitStd = 1, Steps = steps, LrWarmupSteps = 2, EdgeLr = 0.1, NodeLr = 0.1, Seed = 3, MaskMath = place };
        using var device = RunDevice.Open("cuda", "f32");
        var onDevice = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", _ => device, o => Moving(o, MaskMathPlace.Device));
        var onHost = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", _ => device, o => Moving(o, MaskMathPlace.Host) with { CounterNoise = true });
        Assert.True(onDevice.Pruner.MaskMathOnDevice);
        Assert.False(onHost.Pruner.MaskMathOnDevice);
        for (int step = 0; step < steps; step++)
        {
            var a = onDevice.Pruner.Step();
            var b = onHost.Pruner.Step();
            output.WriteLine($"step {step}: KL device {a.Kl:G9}, host {b.Kl:G9}; sparsity device {a.EdgeSparsity:G12}, host {b.EdgeSparsity:G12}");
            Assert.True(Math.Abs(a.Kl - b.Kl) <= 1e-6 * b.Kl, $"step {step}: KL {a.Kl} with the device's masks, {b.Kl} with the host's");
            Assert.True(Math.Abs(a.EdgeSparsity - b.EdgeSparsity) <= 1e-9, $"step {step}: sparsity {a.EdgeSparsity} on the device, {b.EdgeSparsity} on the host");
            var ga = onDevice.Pruner.LastEdgeGradient!.Span.ToArray();
            var gb = onHost.Pruner.LastEdgeGradient!.Span.ToArray();
            double norm = Math.Sqrt(gb.Sum(g => (double)g * g));
            double apart = Math.Sqrt(ga.Zip(gb, (x, y) => (double)(x - y) * (x - y)).Sum());
            Assert.True(apart <= 1e-5 * norm, $"step {step}: ∂loss/∂z differs by {apart} (norm {norm})");
        }
        var da = onDevice.Pruner.State;
        var db = onHost.Pruner.State;
        double logAlpha = Largest(da.EdgeLogAlpha, db.EdgeLogAlpha), moved = Largest(db.EdgeLogAlpha, Start(onHost));
        double first = Largest(da.EdgeOptimizer.First, db.EdgeOptimizer.First), second = Largest(da.EdgeOptimizer.Second, db.EdgeOptimizer.Second);
        output.WriteLine($"after {steps} steps: |Δ log α| {logAlpha:G3} (moved {moved:G3}), |Δ m| {first:G3}, |Δ v| {second:G3}");
        Assert.True(moved > 0.1, $"the masks barely moved ({moved})");
        Assert.True(logAlpha <= 1e-5, $"log α differs by {logAlpha}");
        Assert.True(first <= 1e-5 * db.EdgeOptimizer.First.Max(Math.Abs), $"the first moments differ by {first}");
        Assert.True(second <= 1e-5 * db.EdgeOptimizer.Second.Max(Math.Abs), $"the second moments differ by {second}");
        for (int i = 0; i < 2; i++)
            Assert.True(Math.Abs(da.EdgeLambda[i] - db.EdgeLambda[i]) <= 1e-6 * Math.Max(1, Math.Abs(db.EdgeLambda[i])), $"λ{i + 1}: {da.EdgeLambda[i]} and {db.EdgeLambda[i]}");
        Assert.Equal(db.EdgeOptimizer.StepCount, da.EdgeOptimizer.StepCount);
    }

    /// <summary>A run with the masks on the device, stopped at step 20 and resumed from its checkpoint, ends where the uninterrupted run ends.</summary>
    [CudaFact(Shared = true)]
    public void DeviceMaskMath_ResumedFromItsCheckpoint_EndsWhereTheUninterruptedRunEnds() =>
        CudaPruneTests.ResumedRunEndsWhereTheWholeRunEnds(MaskMathPlace.Device);

    /// <summary>Small graphs on a GPU keep the mask math on the host unless told otherwise (the threshold is a million edges).</summary>
    [CudaFact(Shared = true)]
    public void AutoPlace_KeepsSmallGraphsOnTheHost()
    {
        using var device = RunDevice.Open("cuda", "f32");
        var job = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, o => o);
        Assert.True(job.Masked.EdgeCount < PruningOptions.DeviceMaskThreshold);
        Assert.False(job.Pruner.MaskMathOnDevice);
    }

    /// <summary>Host runs keep System.Random's stream unless told to draw the counter-based noise, which changes the masks.</summary>
    [SharedFact]
    public void HostRuns_DrawTheSequentialStream_UnlessToldToDrawTheCounterNoise()
    {
        PruningOptions Moving(PruningOptions o) => o with { InitMean = 2, InitStd = 1, Steps = 3, LrWarmupSteps = 1, Seed = 3 };
        var plain = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, Moving);
        var counter = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, o => Moving(o) with { CounterNoise = true });
        var again = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, o => Moving(o) with { CounterNoise = false });
        foreach (var job in new[] { plain, counter, again })
            for (int i = 0; i < 3; i++) job.Pruner.Step();
        Assert.Equal(plain.Pruner.State.EdgeLogAlpha, again.Pruner.State.EdgeLogAlpha);
        Assert.NotEqual(plain.Pruner.State.EdgeLogAlpha, counter.Pruner.State.EdgeLogAlpha);
    }

    [SharedFact]
    public void DeviceMaskMath_ForAModelOnTheHost_IsAOneLineError()
    {
        var e = Assert.Throws<EdgePruningException>(() =>
            PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, o => o with { MaskMath = MaskMathPlace.Device }));
        Assert.Equal("mask math on the device needs a model on a device backend; prune on --device cuda", e.Message);
    }

    private static float[] Start(PruningJob job)
    {
        var state = new MaskState(job.Masked.EdgeCount, job.Masked.Writers, job.Options.WeightDecay);
        state.Initialize(job.Options.InitMean, job.Options.InitStd, job.Options.Seed);
        return state.EdgeLogAlpha;
    }

    private static double Largest(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
}
