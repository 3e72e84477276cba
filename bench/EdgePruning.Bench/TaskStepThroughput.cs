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
/// (median ms/step), then one batch's parts timed apart (corrupted run, full forward, masked forward, KL,
/// backward), to show where a step goes.
/// </summary>
public static class TaskStepThroughput
{
    public static int Run(string[] args)
    {
        string model = args[0], task = args[1];
        int steps = args.Length > 2 ? int.Parse(args[2]) : 12;
        int batch = args.Length > 3 ? int.Parse(args[3]) : 32;
        var kernels = args.Length > 4 ? new CpuKernels(int.Parse(args[4])) : CpuKernels.Instance;
        var job = PruningJob.Create(model, task, kernels, o => o with { Batch = batch, CheckpointEvery = 0 });
        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var clock = Stopwatch.StartNew();
            job.Pruner.Step();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        var timed = times.Skip(2).Order().ToArray();
        Console.WriteLine($"{job.Task.Name} on {model}: batch {batch}, {job.Masked.EdgeCount} edges; {steps} steps, " +
            $"median of steps 3..{steps}: {timed[timed.Length / 2]:F1} ms/step (min {timed[0]:F1}, max {timed[^1]:F1})");

        // One batch's parts, each the median of 5 runs.
        var examples = job.Task.Train.Take(batch).ToArray();
        var (clean, corrupted, T) = BatchBuilder.Build(examples, job.Task.PadToken);
        var rows = TaskObjective.ReadRows(examples, T);
        var z = Tensor.Zeros(checked((int)job.Masked.EdgeCount));
        z.Fill(0.9f);
        var m = Tensor.Zeros(job.Masked.Writers);
        m.Fill(0.9f);
        double Part(Action a)
        {
            var t = new List<double>();
            for (int i = 0; i < 5; i++) { var c = Stopwatch.StartNew(); a(); t.Add(c.Elapsed.TotalMilliseconds); }
            return t.Order().ElementAt(2);
        }
        Tensor? baseline = null, full = null;
        var parts = new (string, double)[]
        {
            ("corrupted run (writer outputs)", Part(() => baseline = job.Masked.WriterOutputs(corrupted, examples.Length))),
            ("full forward at the loss rows", Part(() => full = job.Masked.Model.Forward(clean, examples.Length, readRows: rows))),
            ("full forward, every row", Part(() => job.Masked.Model.Forward(clean, examples.Length))),
            ("masked forward (tape)", Part(() => job.Masked.Forward(clean, examples.Length, baseline, z, m, new Tape(), readRows: rows))),
            ("masked forward + KL + backward", Part(() =>
            {
                var tape = new Tape();
                var pass = job.Masked.Forward(clean, examples.Length, baseline, z, m, tape, readRows: rows);
                TaskObjective.Kl(job.Task, examples, full!, pass.Logits, pass.LogitsGrad);
                tape.Backward();
            })),
        };
        Console.WriteLine($"one batch of {examples.Length}×{T} tokens, {rows.Length} loss rows:");
        foreach (var (name, ms) in parts) Console.WriteLine($"  {name,-34} {ms,8:F1} ms");
        return 0;
    }
}
