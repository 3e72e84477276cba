using System.Diagnostics;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
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
        // What one forward costs, each the median of 5 after one unmeasured call, on the full graph: scoring one circuit
        // (every row's logits, as the sequential walk does; and at the loss rows only) and K circuits in one grouped forward.
        var z = Tensor.Zeros(checked((int)job.Masked.EdgeCount));
        z.Fill(1);
        var copies = Tensor.Zeros(chosen, z.Shape[0]);
        copies.Fill(1);
        using (var grouped = new GroupedCircuitScorer(batches))
        {
            double one = MedianSeconds(() => scorer.Score(z)), rows = MedianSeconds(() => grouped.Kl(copies.Rows(0, 1)));
            double wide = MedianSeconds(() => grouped.Kl(copies));
            Console.WriteLine($"  scoring: {1e3 * one:F1} ms for one circuit ({1e3 * rows:F1} ms with logits at the loss rows only); " +
                $"{1e3 * wide:F1} ms for {chosen} in one forward ({1e3 * wide / chosen:F1} ms each)");
        }
        // The masked forward alone at the loss rows, on each read path the model has: one copy; K copies under one
        // circuit (a K times wider batch); K copies under K circuits (what grouping adds to the wider batch).
        var b = batches.Batches[0];
        var tokens = Enumerable.Repeat(b.Clean, chosen).SelectMany(t => t).ToArray();
        var rowsOne = TaskObjective.ReadRows(b.Examples, b.Tokens);
        var rowsAll = TaskObjective.ReadRows(Enumerable.Repeat(b.Examples, chosen).SelectMany(e => e).ToArray(), b.Tokens);
        var repeated = b.Baseline is null ? null : Tensor.Zeros(b.Baseline.DType, b.Baseline.Shape[0], chosen * b.Baseline.Shape[1]);
        var settings = job.Masked.Settings;
        var paths = EdgeMaskedModel.SupportsFusedReads(job.Masked.Config) ? new[] { MaskedReadPath.Unfused, MaskedReadPath.Fused } : [MaskedReadPath.Unfused];
        foreach (var read in paths)
        {
            job.Masked.Settings = new MaskedPassSettings(read);
            Console.WriteLine($"  masked forward, {read.ToString().ToLowerInvariant()} reads: " +
                $"{1e3 * MedianSeconds(() => job.Masked.Forward(b.Clean, b.Size, b.Baseline, z, readRows: rowsOne)):F1} ms for one copy; " +
                $"{1e3 * MedianSeconds(() => job.Masked.Forward(tokens, chosen * b.Size, repeated, z, readRows: rowsAll)):F1} ms for {chosen} copies under one circuit, " +
                $"{1e3 * MedianSeconds(() => job.Masked.Forward(tokens, chosen * b.Size, repeated, copies, readRows: rowsAll)):F1} ms under {chosen}");
        }
        job.Masked.Settings = settings;
        if (runs == 0) return 0;

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
        run();
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
