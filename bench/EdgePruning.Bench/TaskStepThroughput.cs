using System.Diagnostics;
using EdgePruning.Autodiff;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

/// <summary>
/// `task-step MODEL TASK [steps] [batch] [threads]`: Edge Pruning steps on a real model and task, timed whole
/// (median ms/step, managed bytes allocated per step), then one batch's parts timed apart the way a step runs
/// them on the host (scratch from one arena reset per repetition): corrupted run, full forward at the loss rows,
/// masked forward, KL, backward; the rest of a step (mask sampling, the gradient sums, AdamW) is the difference.
/// </summary>
public static class TaskStepThroughput
{
    private const int PartRuns = 9;

    public static int Run(string[] args)
    {
        string model = args[0], task = args[1];
        int steps = args.Length > 2 ? int.Parse(args[2]) : 12;
        int batch = args.Length > 3 ? int.Parse(args[3]) : 32;
        var kernels = args.Length > 4 ? new CpuKernels(int.Parse(args[4])) : CpuKernels.Instance;
        var job = PruningJob.Create(model, task, kernels, o => o with { Batch = batch, CheckpointEvery = 0 });
        var times = new List<double>();
        long allocated = 0;
        for (int i = 0; i < steps; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            job.Pruner.Step();
            times.Add(clock.Elapsed.TotalMilliseconds);
            if (i >= 2) allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        }
        var timed = times.Skip(2).Order().ToArray();
        double stepMs = timed[timed.Length / 2];
        Console.WriteLine($"{job.Task.Name} on {model}: batch {batch}, {job.Masked.EdgeCount} edges; {steps} steps, " +
            $"median of steps 3..{steps}: {stepMs:F1} ms/step (min {timed[0]:F1}, max {timed[^1]:F1}); " +
            $"{allocated / Math.Max(1, steps - 2) / 1024.0:F0} KiB allocated per step");

        var examples = job.Task.Train.Take(batch).ToArray();
        var (clean, corrupted, T) = BatchBuilder.Build(examples, job.Task.PadToken);
        var rows = TaskObjective.ReadRows(examples, T);
        var z = Tensor.Zeros(checked((int)job.Masked.EdgeCount));
        z.Fill(0.9f);
        var m = Tensor.Zeros(job.Masked.Writers);
        m.Fill(0.9f);
        var arena = new TensorArena();
        string[] names = ["corrupted run (writer outputs)", "full forward at the loss rows", "masked forward (tape)", "KL and its gradient", "backward"];
        var samples = names.Select(_ => new List<double>()).ToArray();
        for (int run = 0; run < PartRuns; run++)
        {
            arena.Reset();
            var clock = Stopwatch.StartNew();
            double Lap()
            {
                double ms = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
                return ms;
            }
            var baseline = job.Masked.WriterOutputs(corrupted, examples.Length, arena);
            samples[0].Add(Lap());
            var full = job.Masked.Model.Forward(clean, examples.Length, readRows: rows);
            samples[1].Add(Lap());
            var tape = new Tape();
            var pass = job.Masked.Forward(clean, examples.Length, baseline, z, m, tape, arena, readRows: rows);
            samples[2].Add(Lap());
            TaskObjective.Kl(job.Task, examples, full, pass.Logits, pass.LogitsGrad);
            samples[3].Add(Lap());
            tape.Backward();
            samples[4].Add(Lap());
        }
        Console.WriteLine($"one batch of {examples.Length}×{T} tokens, {rows.Length} loss rows (median of {PartRuns}):");
        double parts = 0;
        for (int i = 0; i < names.Length; i++)
        {
            double ms = samples[i].Order().ElementAt(PartRuns / 2);
            parts += ms;
            Console.WriteLine($"  {names[i],-34} {ms,8:F1} ms");
        }
        Console.WriteLine($"  {"rest of the step (by difference)",-34} {stepMs - parts,8:F1} ms");
        return 0;
    }
}
