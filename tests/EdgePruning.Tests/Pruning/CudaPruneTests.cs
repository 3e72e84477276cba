using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Sweep;
using EdgePruning.Pruning.Training;
using EdgePruning.Tests.Models;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// Pruning with every tensor of the run on a GPU (<c>--device cuda</c>): the paper's Tracr circuit recovered there,
/// the device run following the CPU run step by step where masks move, and circuits evaluated there as on the CPU.
/// </summary>
public class CudaPruneTests(ITestOutputHelper output)
{
    [CudaFact(Shared = true)]
    public void TracrXProportion_OnCuda_RecoversTheGroundTruthExactly_AsOnTheCpu()
    {
        using var device = RunDevice.Open("cuda", "f32");
        var cuda = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, o => o);
        var cpu = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, o => o);
        var dir = Directory.CreateTempSubdirectory("ep-cuda-tracr-");
        try
        {
            Assert.True(cuda.Train(Path.Combine(dir.FullName, "cuda"), null, CancellationToken.None));
            Assert.True(cpu.Train(Path.Combine(dir.FullName, "cpu"), null, CancellationToken.None));
            var (circuit, _) = cuda.Finish(0);
            var (reference, _) = cpu.Finish(0);
            Assert.Equal("cuda:0", circuit.Device);
            var found = circuit.KeptEdgeNames.ToArray();
            output.WriteLine($"cuda: {found.Length} edges: {string.Join(", ", found)}");
            var comparison = CircuitComparison.Compare(found, EdgeGraphTests.GroundTruth("xproportion"));
            Assert.True(comparison.Identical, $"missing: {string.Join(", ", comparison.Missing)}; extra: {string.Join(", ", comparison.Extra)}");
            Assert.Equal(reference.KeptEdgeNames.Order(), found.Order());
            Assert.True(circuit.Metrics["scalar_error"] < 1e-5, $"scalar error {circuit.Metrics["scalar_error"]}");
            // Both runs draw the same batches and mask samples; rounding differences grow over the run through AdamW
            // (which normalizes the near-zero gradients of settled masks), so the log α are reported, not compared.
            var soft = cuda.Pruner.State.EdgeLogAlpha.Zip(cpu.Pruner.State.EdgeLogAlpha, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"largest |log α (cuda) − log α (cpu)| after {cuda.Options.Steps} steps: {soft}");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Tracr reverse (categorical readout, node masks, zero ablation) from masks that start near the middle, where the KL
    /// is far from 0: each step's KL and edge gradients, and after the steps every mask logit, agree with the CPU run's.
    /// (Compiled attention is saturated: only the few edges into the readout's inputs get a nonzero gradient.)
    /// </summary>
    [CudaFact(Shared = true)]
    public void TracrReverse_OnCuda_FollowsTheCpuRun_StepByStep()
    {
        const int steps = 12;
        PruningOptions Moving(PruningOptions o) => o with { InitMean = 2, InitStd = 1, Steps = steps, EdgeLr = 0.1, NodeLr = 0.1, Seed = 3 };
        using var device = RunDevice.Open("cuda", "f32");
        var cuda = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", _ => device, Moving);
        var cpu = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", CpuKernels.Instance, Moving);
        for (int step = 0; step < steps; step++)
        {
            var a = cuda.Pruner.Step();
            var b = cpu.Pruner.Step();
            var ga = cuda.Pruner.LastEdgeGradient!.Span.ToArray();
            var gb = cpu.Pruner.LastEdgeGradient!.Span.ToArray();
            double norm = Math.Sqrt(gb.Sum(g => (double)g * g));
            double difference = Math.Sqrt(ga.Zip(gb, (x, y) => (double)(x - y) * (x - y)).Sum());
            int flowing = gb.Count(g => g != 0);
            output.WriteLine($"step {step}: KL cuda {a.Kl:G9}, cpu {b.Kl:G9}; ∂loss/∂z: {flowing} of {gb.Length} nonzero, |Δ|/|g| {difference / norm:G3}");
            Assert.True(b.Kl > 1e-3, $"step {step}: the KL {b.Kl} is too small for the comparison to mean anything");
            Assert.True(flowing > 0, $"step {step}: no edge gradient flows");
            Assert.True(Math.Abs(a.Kl - b.Kl) <= 1e-4 * b.Kl, $"step {step}: KL {a.Kl} on cuda, {b.Kl} on the cpu");
            Assert.True(difference <= 1e-4 * norm, $"step {step}: the edge gradients differ by {difference} (norm {norm})");
        }
        var moved = cpu.Pruner.State.EdgeLogAlpha.Zip(cuda.Pruner.State.EdgeLogAlpha, (c, g) => (Cpu: c, Cuda: g)).ToArray();
        double largest = moved.Max(p => Math.Abs(p.Cpu - p.Cuda));
        output.WriteLine($"largest |log α (cuda) − log α (cpu)| after {steps} steps: {largest}");
        Assert.True(largest < 1e-3, $"log α differs by {largest}");
    }

    [CudaFact(Shared = true)]
    public void Evaluation_OnCuda_GivesTheCpuMetrics_ForACircuitThatLosesSomething()
    {
        // A circuit without one of the edges the reverse program needs, evaluated on both devices.
        var job = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", CpuKernels.Instance, o => o with { NodeMasks = false });
        var truth = EdgeGraphTests.GroundTruth("reverse");
        var kept = truth.Skip(1).ToHashSet();
        var all = Circuit.FromMasks(job.Masked.Graph, (_, _) => 1, (_, _) => true, null, "reverse");
        var circuit = all with { Edges = all.Edges.Select(e => e with { Kept = kept.Contains(e.Name) }).ToArray() };
        Assert.Equal(truth.Length - 1, circuit.KeptEdgeCount);
        var masks = CircuitMasks.FromCircuit(job.Masked.Layout, circuit);
        var onCpu = CircuitEvaluator.Evaluate(job.Pruner, masks, job.Task.Test, 8);

        using var device = RunDevice.Open("cuda", "f32");
        var cudaJob = PruningJob.Create(SharedData.Tracr("reverse"), "tracr", _ => device, o => o with { NodeMasks = false });
        var onCuda = CircuitEvaluator.Evaluate(cudaJob.Pruner, masks, cudaJob.Task.Test, 8);
        foreach (var (name, value) in onCpu) output.WriteLine($"{name}: cpu {value}, cuda {onCuda[name]}");
        Assert.True(onCpu["kl"] > 1e-2, $"the circuit loses nothing (KL {onCpu["kl"]}): nothing to compare");
        Assert.True(onCpu["accuracy"] < 1, "the circuit loses nothing: nothing to compare");
        foreach (var (name, value) in onCpu)
            Assert.True(Math.Abs(onCuda[name] - value) <= 1e-4 * Math.Max(1, Math.Abs(value)), $"{name}: {onCuda[name]} on cuda, {value} on the cpu");
    }

    /// <summary>
    /// A sweep of every method (Edge Pruning at two sizes, EAP, EAP-IG, ACDC at two thresholds) with the model on the GPU:
    /// the same circuits as on the CPU, scored with the same KL and metric.
    /// </summary>
    [CudaFact(Shared = true)]
    public void Sweep_OnCuda_FindsAndScoresTheCpuCircuits()
    {
        var options = new SweepOptions { Sizes = [0.2, 0.5], EpSteps = 40, AcdcThresholds = [0.01, 0.1], Batch = 16 };
        using var device = RunDevice.Open("cuda", "f32");
        var onCuda = new SweepRunner(PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, o => o), options).Run();
        var onCpu = new SweepRunner(PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", CpuKernels.Instance, o => o), options).Run();
        Assert.Equal(onCpu.FullMetric, onCuda.FullMetric, 5);
        Assert.Equal(onCpu.EmptyMetric, onCuda.EmptyMetric, 5);
        var cuda = onCuda.Methods.SelectMany(m => m.Points).ToArray();
        var cpu = onCpu.Methods.SelectMany(m => m.Points).ToArray();
        Assert.Equal(cpu.Length, cuda.Length);
        Assert.Contains(cpu, p => p.Kl > 1e-3);
        for (int i = 0; i < cpu.Length; i++)
        {
            output.WriteLine($"{cpu[i].Method} {cpu[i].Setting}: {cpu[i].Edges} edges, KL {cpu[i].Kl:G6} (cpu) {cuda[i].Kl:G6} (cuda)");
            Assert.Equal((cpu[i].Method, cpu[i].Setting, cpu[i].Edges), (cuda[i].Method, cuda[i].Setting, cuda[i].Edges));
            Assert.True(Math.Abs(cuda[i].Kl - cpu[i].Kl) <= 1e-4 * Math.Max(cpu[i].Kl, 1e-6), $"{cpu[i].Method} {cpu[i].Setting}: KL {cuda[i].Kl} on cuda, {cpu[i].Kl} on the cpu");
        }
    }

    /// <summary>
    /// Optimal-constant ablation on the GPU: the learned baselines' gradients come back after each micro-batch and
    /// the constants move as the CPU trainer moves them (random GPT-2-like model, random tokens, two micro-batches).
    /// </summary>
    [CudaFact]
    public void OptimalConstantAblation_OnCuda_LearnsTheCpuConstants()
    {
        var config = RandomModels.Gpt2Like();
        var weights = RandomModels.Weights(config, seed: 4);
        var task = EdgePruning.Pruning.Benchmarking.RandomTokenTask.Create(config.VocabSize, 4, 6, seed: 2);
        var options = new PruningOptions { Ablation = Ablation.OptimalConstant, Steps = 3, Batch = 4, MicroBatch = 2, InitMean = 1, ConstantLr = 0.05, LrWarmupSteps = 0 };
        var cpu = new EdgePruner(new EdgePruning.Pruning.Masking.EdgeMaskedModel(new EdgePruning.Models.Transformer(config, weights, CpuKernels.Instance, "cpu"), 1), task, options);
        using var device = RunDevice.Open("cuda", "f32");
        var cuda = new EdgePruner(new EdgePruning.Pruning.Masking.EdgeMaskedModel(device.Place(config, weights, "cuda"), 1), task, options);
        var start = cpu.State.Constants.ToArray();
        // Both start from the writers' mean outputs over the training set, computed where each model runs.
        double initial = start.Zip(cuda.State.Constants, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(initial < 1e-5, $"the mean outputs differ by {initial}");
        for (int step = 0; step < options.Steps; step++)
        {
            var a = cuda.Step();
            var b = cpu.Step();
            Assert.True(Math.Abs(a.Kl - b.Kl) <= 1e-4 * b.Kl, $"step {step}: KL {a.Kl} on cuda, {b.Kl} on the cpu");
        }
        double moved = cpu.State.Constants.Zip(start, (x, y) => Math.Abs(x - y)).Max();
        double apart = cpu.State.Constants.Zip(cuda.State.Constants, (x, y) => Math.Abs(x - y)).Max();
        output.WriteLine($"constants moved up to {moved}; cuda and cpu apart by up to {apart}");
        Assert.True(moved > 1e-2, $"the constants barely moved ({moved})");
        Assert.True(apart < 1e-3 * moved, $"the constants differ by {apart} (moved {moved})");
    }

    /// <summary>A run on the GPU stopped at step 20 and resumed from its checkpoint ends where the uninterrupted run does.</summary>
    [CudaFact(Shared = true)]
    public void ARunOnCuda_ResumedFromItsCheckpoint_EndsWhereTheUninterruptedRunEnds() => ResumedRunEndsWhereTheWholeRunEnds(MaskMathPlace.Auto);

    /// <summary>
    /// Tracr xproportion on the GPU with the mask math at <paramref name="place"/>, stopped at step 20 and resumed: the checkpoint
    /// holds the masks of step 20, and the resumed run ends with the uninterrupted run's masks, moments, multipliers and circuit.
    /// </summary>
    internal static void ResumedRunEndsWhereTheWholeRunEnds(MaskMathPlace place)
    {
        PruningOptions Short(PruningOptions o) => o with
        {
            Steps = 40, SparsityWarmupSteps = 20, LrWarmupSteps = 5, EdgeLambdaLr = 0.05, NodeLambdaLr = 0.05, MaskMath = place,
        };
        using var device = RunDevice.Open("cuda", "f32");
        var dir = Directory.CreateTempSubdirectory("ep-cuda-resume-");
        try
        {
            var whole = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, Short);
            Assert.True(whole.Train(Path.Combine(dir.FullName, "whole"), null, CancellationToken.None));

            string stopped = Path.Combine(dir.FullName, "stopped");
            var first = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, Short);
            using var cancel = new CancellationTokenSource();
            Assert.False(first.Train(stopped, r => { if (r.Step + 1 == 20) cancel.Cancel(); }, cancel.Token));
            var resumed = PruningJob.Create(SharedData.Tracr("xproportion"), "tracr", _ => device, Short);
            Assert.Equal(place == MaskMathPlace.Device, resumed.Pruner.MaskMathOnDevice);
            Assert.Equal(20, resumed.Resume(stopped));
            // The checkpoint holds the masks of step 20, not the initial ones.
            double start = new PruningOptions().InitMean;
            Assert.Equal(first.Pruner.State.EdgeLogAlpha, resumed.Pruner.State.EdgeLogAlpha);
            Assert.Contains(resumed.Pruner.State.EdgeLogAlpha, a => Math.Abs(a - start) > 0.1);
            Assert.True(resumed.Train(stopped, null, CancellationToken.None));

            Assert.Contains(whole.Pruner.State.EdgeLogAlpha, a => Math.Abs(a - start) > 1);
            Assert.Equal(whole.Pruner.State.EdgeLogAlpha, resumed.Pruner.State.EdgeLogAlpha);
            Assert.Equal(whole.Pruner.State.EdgeOptimizer.Second, resumed.Pruner.State.EdgeOptimizer.Second);
            Assert.Equal(whole.Pruner.State.EdgeLambda, resumed.Pruner.State.EdgeLambda);
            Assert.Equal(whole.Finish(0).Circuit.KeptEdgeNames.Order(), resumed.Finish(0).Circuit.KeptEdgeNames.Order());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

