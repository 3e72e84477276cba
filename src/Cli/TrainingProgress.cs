using System.Text.Json.Nodes;
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
    /// <summary>The <c>start</c> event of <c>--json</c> progress: what is about to be trained.</summary>
    public static JsonObject Describe(PruningJob job, string modelPath) => new()
    {
        ["task"] = job.Task.Name,
        ["model"] = modelPath,
        ["edges"] = job.Masked.EdgeCount,
        ["writers"] = job.Masked.Writers,
        ["train_examples"] = job.Task.Train.Count,
        ["ablation"] = job.Options.Ablation.Name(),
        ["target_sparsity"] = job.Options.TargetEdgeSparsity,
        ["steps"] = job.Options.Steps,
    };

    /// <summary>One <c>step</c> event per step, as JSON lines, for programs that follow a run.</summary>
    public static bool RunJson(PruningJob job, string dir, TextWriter err, CancellationToken cancel)
    {
        int total = job.Options.Steps;
        return job.Train(dir, r => CommandOutput.WriteEvent(err, "step", new JsonObject
        {
            ["step"] = r.Step + 1,
            ["steps"] = total,
            ["kl"] = CommandOutput.Number(r.Kl),
            ["loss"] = CommandOutput.Number(r.Loss),
            ["edge_sparsity"] = CommandOutput.Number(r.EdgeSparsity),
            ["target"] = CommandOutput.Number(r.Target),
            ["node_sparsity"] = CommandOutput.Number(r.NodeSparsity),
            ["lambda1"] = CommandOutput.Number(r.Lambda1),
            ["lambda2"] = CommandOutput.Number(r.Lambda2),
            ["seconds"] = r.Seconds,
            ["tokens"] = r.Tokens,
        }), cancel);
    }

    public static bool Run(PruningJob job, string dir, TextWriter err, CancellationToken cancel, bool json = false)
    {
        if (json) return RunJson(job, dir, err, cancel);
        int total = job.Options.Steps;
        int start = job.Pruner.StepsDone;
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
