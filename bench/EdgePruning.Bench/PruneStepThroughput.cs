using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;

namespace EdgePruning.Bench;

/// <summary>
/// Steps per second of an Edge Pruning step (corrupted run, full-model run, masked forward, backward,
/// optimizer) on a GPT-2-small-shaped model with random weights, for a list of batch shapes, as a
/// markdown table for bench/results. The steps are run by <see cref="PruneStepBenchmark"/>, as
/// <c>edgeprune bench</c> runs them. Usage: <c>prune-step [steps] [BxT[/micro] ...]</c> (default:
/// 3 steps, 4x64 and 32x64/4), micro the micro-batch size whose gradients the step accumulates.
/// </summary>
public static class PruneStepThroughput
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 && int.TryParse(args[0], out int s) ? s : 3;
        var shapes = args.Skip(1).Select(Parse).ToList();
        if (shapes.Count == 0) shapes = [(4, 64, 4), (32, 64, 4)];
        var bench = new PruneStepBenchmark(KnownShapes.Gpt2Small(), embeddingNodes: 2, CpuKernels.Instance);
        Console.WriteLine($"GPT-2 small shape, random weights, {bench.Model.EdgeCount:N0} edges, {Environment.ProcessorCount} cores");
        Console.WriteLine("| batch x tokens | micro-batch | median step (s) | spread (s) | steps/s | tokens/s | planned (GB) | arena peak (GB) | peak working set (GB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (batch, tokens, micro) in shapes)
        {
            var settings = new PruneStepSettings { Batch = batch, SeqLen = tokens, MicroBatch = micro, Steps = steps, Warmup = 1 };
            var plan = bench.Plan(settings);
            var m = bench.Measure(settings);
            double median = m.MedianMilliseconds / 1000;
            Console.WriteLine($"| {batch}x{tokens} | {micro} | {median:F2} | {m.MinMilliseconds / 1000:F2}–{m.MaxMilliseconds / 1000:F2} | {1 / median:F3} | " +
                $"{m.TokensPerSecond:N0} | {plan.TotalBytes / 1e9:F2} | {m.Peak.ArenaHighWaterBytes / 1e9:F2} | {m.Peak.ProcessPeakWorkingSetBytes / 1e9:F1} |");
        }
        return 0;
    }

    private static (int Batch, int Tokens, int Micro) Parse(string shape)
    {
        var parts = shape.Split('/');
        var bt = parts[0].Split('x');
        int batch = int.Parse(bt[0]);
        return (batch, int.Parse(bt[1]), parts.Length > 1 ? int.Parse(parts[1]) : batch);
    }
}
