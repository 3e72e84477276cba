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
/// Usage: <c>prune-step [steps] [batch×tokens ...]</c> (default: 3 steps, 32x64 and 4x64).
/// </summary>
public static class PruneStepThroughput
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 && int.TryParse(args[0], out int s) ? s : 3;
        var shapes = args.Skip(1).Select(a => a.Split('x')).Select(p => (int.Parse(p[0]), int.Parse(p[1]))).ToList();
        if (shapes.Count == 0) shapes = [(32, 64), (4, 64)];
        var config = KnownShapes.Gpt2Small();
        var weights = RandomTransformerWeights.Create(config, seed: 1);
        var model = new Transformer(config, weights, CpuKernels.Instance);
        var masked = new EdgeMaskedModel(model, 2);
        Console.WriteLine($"GPT-2 small shape, random weights, {masked.EdgeCount:N0} edges, {Environment.ProcessorCount} cores");
        Console.WriteLine("| batch x tokens | warm-up step (s) | median step (s) | steps/s | tokens/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (batch, tokens) in shapes)
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
            var pruner = new EdgePruner(masked, task, new PruningOptions { Batch = batch, Steps = steps + 1, NodeMasks = true });
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
            Console.WriteLine($"| {batch}x{tokens} | {warm:F2} | {median:F2} | {1 / median:F3} | {batch * tokens / median:N0} |");
        }
        return 0;
    }
}
