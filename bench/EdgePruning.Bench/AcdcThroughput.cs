using System.Diagnostics;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;

namespace EdgePruning.Bench;

/// <summary>
/// `acdc MODEL TASK tau K [examples] [runs]`: ACDC on the first training examples (one batch), sequential (one forward
/// per trial) against K candidates per forward (K = 0: chosen by memory), the two alternating run by run: median wall
/// time of each, their ratio, the forwards each ran, and whether they kept the same edges.
/// </summary>
public static class AcdcThroughput
{
    public static int Run(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: acdc MODEL TASK tau K [examples] [runs]");
            return 2;
        }
        string model = args[0], task = args[1];
        double tau = double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        int k = int.Parse(args[3]);
        int examples = args.Length > 4 ? int.Parse(args[4]) : 32;
        int runs = args.Length > 5 ? int.Parse(args[5]) : 3;
        var job = PruningJob.Create(model, task, CpuKernels.Instance, o => o);
        using var batches = new TaskBatches(job.Pruner, job.Task.Train.Take(examples).ToArray(), examples);
        var scorer = new CircuitScorer(batches);
        int chosen = k == 0 ? AcdcCandidates.PerForward(batches) : k;
        Console.WriteLine($"acdc {job.Task.Name} on {model}: {job.Masked.EdgeCount} edges, {batches.Count} examples, tau {tau}, K {chosen}; {runs} runs each");
        var times = new Dictionary<int, List<double>> { [1] = [], [chosen] = [] };
        var results = new Dictionary<int, AcdcResult>();
        for (int i = 0; i < runs; i++)
            foreach (int candidates in new[] { 1, chosen })
            {
                var clock = Stopwatch.StartNew();
                results[candidates] = Acdc.Run(scorer, tau, candidatesPerForward: candidates);
                times[candidates].Add(clock.Elapsed.TotalSeconds);
            }
        double Median(int c) => times[c].Order().ElementAt(times[c].Count / 2);
        foreach (int c in new[] { 1, chosen })
        {
            var r = results[c];
            Console.WriteLine($"  K = {c,2}: median {Median(c),8:F2} s ({string.Join(", ", times[c].Select(t => t.ToString("F2")))}); " +
                $"{r.Evaluations} trials in {r.Forwards} forwards; {r.Kept.Count(x => x)} edges kept, KL {r.Kl:G6}");
        }
        bool same = results[1].Kept.SequenceEqual(results[chosen].Kept);
        Console.WriteLine($"  sequential / batched: {Median(1) / Median(chosen):F2}×; same kept edges: {(same ? "yes" : "NO")}");
        return same ? 0 : 1;
    }
}
