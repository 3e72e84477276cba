using EdgePruning.Pruning;
using EdgePruning.Pruning.Training;
using Spectre.Console;

namespace EdgePruning.Cli;

/// <summary>
/// Shows training progress on stderr: a Spectre.Console progress bar on a terminal, a plain line every
/// tenth of the run otherwise (logs, CI).
/// </summary>
public static class TrainingProgress
{
    public static bool Run(PruningJob job, string dir, TextWriter err, CancellationToken cancel)
    {
        int total = job.Options.Steps;
        int start = job.Pruner.State.Step;
        double tokens = 0, seconds = 0;
        string Describe(StepReport r)
        {
            tokens += r.Tokens;
            seconds += r.Seconds;
            return $"step {r.Step + 1}/{total} KL {r.Kl:E2} sparsity {r.EdgeSparsity:F3} (target {r.Target:F3}) " +
                $"λ {r.Lambda1:F2}/{r.Lambda2:F2} {(seconds > 0 ? tokens / seconds : 0):N0} tok/s";
        }

        bool interactive = ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
        {
            int every = Math.Max(1, total / 10);
            return job.Train(dir, r =>
            {
                string line = Describe(r);
                if ((r.Step + 1) % every == 0 || r.Step + 1 == total) err.WriteLine(line);
            }, cancel);
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        bool finished = false;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("starting", maxValue: total);
                bar.Value = start;
                finished = job.Train(dir, r =>
                {
                    bar.Description = Markup.Escape(Describe(r));
                    bar.Value = r.Step + 1;
                }, cancel);
            });
        return finished;
    }
}
