using System.Diagnostics;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

/// <summary>
/// `acdc MODEL TASK tau K [examples] [runs]`: ACDC on the first training examples (one batch), sequential (one forward
/// per trial) against K candidates per forward (K = 0: chosen by memory) and against the speculative walk at K = 1,
/// alternating run by run: median wall time of each, their ratios, the forwards each ran, whether they kept the same edges, and what one forward costs
/// for one circuit and for K.
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
        // Three ways, alternating run by run: the sequential walk (every row's logits), the speculative walk at K = 1
        // (one trial per forward, logits at the loss rows only: what batching adds comes on top of that) and at K.
        var ways = new (string Name, Func<AcdcResult> Run)[]
        {
            ("sequential", () => Acdc.Run(scorer, tau)),
            ("K = 1, loss rows", () => Speculative(batches, tau, 1)),
            ($"K = {chosen}", () => Acdc.Run(scorer, tau, candidatesPerForward: chosen)),
        };
        var times = ways.Select(_ => new List<double>()).ToArray();
        var results = new AcdcResult[ways.Length];
        for (int i = 0; i < runs; i++)
            for (int w = 0; w < ways.Length; w++)
            {
                var clock = Stopwatch.StartNew();
                results[w] = ways[w].Run();
                times[w].Add(clock.Elapsed.TotalSeconds);
            }
        double Median(int w) => times[w].Order().ElementAt(times[w].Count / 2);
        for (int w = 0; w < ways.Length; w++)
        {
            var r = results[w];
            Console.WriteLine($"  {ways[w].Name,-16}: median {Median(w),8:F2} s ({string.Join(", ", times[w].Select(t => t.ToString("F2")))}); " +
                $"{r.Evaluations} trials in {r.Forwards} forwards; {r.Kept.Count(x => x)} edges kept, KL {r.Kl:G6}");
        }
        // One scoring call of each kind on the full graph, median of 5: what a forward costs per candidate.
        var z = Tensor.Zeros(checked((int)job.Masked.EdgeCount));
        z.Fill(1);
        var copies = Tensor.Zeros(chosen, z.Shape[0]);
        copies.Fill(1);
        using var grouped = new GroupedCircuitScorer(batches);
        double one = MedianSeconds(() => scorer.Score(z)), wide = MedianSeconds(() => grouped.Kl(copies));
        Console.WriteLine($"  one forward: {1e3 * one:F1} ms for one circuit, {1e3 * wide:F1} ms for {chosen} ({1e3 * wide / chosen:F1} ms each)");
        if (Environment.GetEnvironmentVariable("ACDC_PROBE") is not null)
        {
            var b = batches.Batches[0];
            var m = job.Masked;
            var tokens = Enumerable.Repeat(b.Clean, chosen).SelectMany(t => t).ToArray();
            var rep = b.Baseline is null ? null : Tensor.Empty(DType.F32, b.Baseline.Shape[0], chosen * b.Baseline.Shape[1]);
            var z1 = Tensor.Zeros(chosen, z.Shape[0]); z1.Fill(1);
            Console.WriteLine($"  probe single {1e3*MedianSeconds(() => m.Forward(b.Clean, b.Size, b.Baseline, z)):F1} ms; wide ungrouped {1e3*MedianSeconds(() => m.Forward(tokens, chosen * b.Size, rep, z)):F1} ms; wide grouped {1e3*MedianSeconds(() => m.Forward(tokens, chosen * b.Size, rep, z1)):F1} ms");
        }
        bool same = results.All(r => r.Kept.SequenceEqual(results[0].Kept));
        Console.WriteLine($"  sequential / K = {chosen}: {Median(0) / Median(2):F2}×; K = 1 (loss rows) / K = {chosen}: {Median(1) / Median(2):F2}×; " +
            $"same kept edges: {(same ? "yes" : "NO")}");
        return same ? 0 : 1;
    }

    private static AcdcResult Speculative(TaskBatches batches, double tau, int candidates)
    {
        using var grouped = new GroupedCircuitScorer(batches);
        var full = Tensor.Zeros(1, checked((int)batches.Pruner.Model.EdgeCount));
        full.Fill(1);
        return AcdcSpeculativeWalk.Run(batches.Pruner.Model.Layout, tau, candidates, grouped.Kl(full)[0], grouped.Kl);
    }

    private static double MedianSeconds(Action run)
    {
        var times = new double[5];
        for (int i = 0; i < times.Length; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times[i] = clock.Elapsed.TotalSeconds;
        }
        Array.Sort(times);
        return times[2];
    }
}
