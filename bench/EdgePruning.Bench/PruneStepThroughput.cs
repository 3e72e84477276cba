using System.Diagnostics;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Bench;

/// <summary>
/// Steps per second of an Edge Pruning step (corrupted run, full-model run, masked forward, backward,
/// optimizer) on a GPT-2-small-shaped model with random weights, for a list of batch shapes.
/// Usage: <c>prune-step [steps] [BxT[/micro] ...]</c> (default: 3 steps, 4x64 and 32x64/4), micro the
/// micro-batch size whose gradients the step accumulates.
/// </summary>
public static class PruneStepThroughput
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 && int.TryParse(args[0], out int s) ? s : 3;
        var shapes = args.Skip(1).Select(Parse).ToList();
        if (shapes.Count == 0) shapes = [(4, 64, 4), (32, 64, 4)];
        var config = KnownShapes.Gpt2Small();
        var weights = EdgePruning.Models.Loaders.RandomModelWriter.CreateWeights(config, seed: 1);
        var model = new Transformer(config, weights, CpuKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        Console.WriteLine($"GPT-2 small shape, random weights, {masked.EdgeCount:N0} edges, {Environment.ProcessorCount} cores");
        Console.WriteLine("| batch x tokens | micro-batch | warm-up step (s) | median step (s) | steps/s | tokens/s | peak working set (GB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (batch, tokens, micro) in shapes)
        {
            var rng = new Random(2);
            var examples = Enumerable.Range(0, batch).Select(_ => new TaskExample
            {
                Clean = Enumerable.Range(0, tokens).Select(_ => rng.Next(config.VocabSize)).ToArray(),
                Corrupted = Enumerable.Range(0, tokens).Select(_ => rng.Next(config.VocabSize)).ToArray(),
                LossPositions = [tokens - 1],
                MetricPosition = tokens - 1,
            }).ToArray();
            var task = new TaskDataset { Name = "random", Train = examples, Validation = examples, Test = examples };
            var pruner = new EdgePruner(masked, task, new PruningOptions { Batch = batch, MicroBatch = micro, Steps = steps + 1, NodeMasks = true });
            var clock = Stopwatch.StartNew();
            pruner.Step();
            double warm = clock.Elapsed.TotalSeconds;
            var times = new List<double>();
            for (int i = 0; i < steps; i++)
            {
                clock.Restart();
                pruner.Step();
                times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            double peak = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 / 1e9;
            Console.WriteLine($"| {batch}x{tokens} | {micro} | {warm:F2} | {median:F2} | {1 / median:F3} | {batch * tokens / median:N0} | {peak:F1} |");
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
