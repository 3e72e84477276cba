using System.Globalization;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Bench;

/// <summary>
/// `warm-start MODEL TASK N [steps] [batch] [every] [eval examples] [discovery examples]`: Edge Pruning at size N
/// (target 1 − N/E) from the usual initialization (cold, warm-ups scaled from the recipe to the steps) and from
/// EAP-IG's ranking (warm, the target held from step 0), both read out at exactly N edges every `every` steps and
/// scored on the first test examples; prints both curves as CSV and the first step at which the warm run's circuit
/// reaches the cold run's final KL.
/// </summary>
public static class WarmStartCurves
{
    public static int Run(string[] args)
    {
        string model = args[0], task = args[1];
        long n = long.Parse(args[2], CultureInfo.InvariantCulture);
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
        var job = PruningJob.Create(model, task, CpuKernels.Instance, o => o with { CheckpointEvery = 0 });
        var o = job.Options;
        int steps = Arg(3, o.Steps), batch = Arg(4, o.Batch), every = Arg(5, Math.Max(1, steps / 20));
        int evalExamples = Arg(6, 200), discoveryExamples = Arg(7, 32);
        long E = job.Masked.EdgeCount;
        double sparsity = 1.0 - (double)n / E;
        using var evaluation = new TaskBatches(job.Pruner, job.Task.Test.Take(evalExamples).ToArray(), batch);
        var scorer = new CircuitScorer(evaluation);
        float[] scores;
        using (var discovery = new TaskBatches(job.Pruner, job.Task.Train.Take(discoveryExamples).ToArray(), batch))
            scores = EapIg.Scores(discovery);
        var cold = o.WithSteps(steps) with { TargetEdgeSparsity = sparsity, Batch = batch };
        var warm = cold with { SparsityWarmupSteps = 0 };

        List<(int Step, double Kl)> Curve(PruningOptions options, bool warmStart)
        {
            var pruner = new EdgePruner(job.Masked, job.Task, options);
            if (warmStart) WarmStart.Apply(pruner.State, scores, sparsity);
            var curve = new List<(int, double)>();
            for (int step = 0; ; step++)
            {
                if (step % every == 0 || step == steps)
                {
                    double kl = scorer.Score(CircuitMasks.From(job.Masked.Layout, pruner.State, options.NodeMasks, sparsity).EdgeKept).Kl;
                    curve.Add((step, kl));
                    Console.WriteLine(string.Join(',', warmStart ? "warm" : "cold", step.ToString(CultureInfo.InvariantCulture), kl.ToString("G5", CultureInfo.InvariantCulture)));
                }
                if (step == steps) return curve;
                pruner.Step();
            }
        }
        Console.WriteLine($"# {job.Task.Name} on {model}: N = {n} of {E} edges, {steps} steps at batch {batch}, scored every {every} steps on {evaluation.Count} test examples");
        Console.WriteLine("run,step,kl");
        var c = Curve(cold, warmStart: false);
        var w = Curve(warm, warmStart: true);
        double goal = c[^1].Kl;
        var reached = w.FirstOrDefault(p => p.Kl <= goal);
        string at = reached == default && w[0].Kl > goal ? "never" : reached.Step.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"# cold final KL {goal:G4}; warm start KL {w[0].Kl:G4} at step 0 and {w[^1].Kl:G4} at the end; warm reaches the cold final KL at step {at}");
        return 0;
    }
}
