using System.Diagnostics;
using Spectre.Console;

namespace EdgePruning.Cli;

/// <summary>
/// Shows a model's weights arriving on a GPU layer by layer: a progress bar on an interactive terminal, else one line
/// when the load is done (nothing when the weights stayed on the host, where no layer is reported).
/// </summary>
public static class LoadProgress
{
    /// <summary>Runs <paramref name="load"/>, which reports (layers done, layers) to the callback it is given.</summary>
    public static T Run<T>(TextWriter err, bool json, Func<Action<int, int>, T> load)
    {
        var clock = Stopwatch.StartNew();
        int layers = 0;
        bool interactive = !json && ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected;
        if (!interactive)
        {
            var result = load((done, of) => layers = of);
            if (layers > 0 && !json) err.WriteLine($"streamed {layers} layers to the device in {clock.Elapsed.TotalSeconds:F1} s");
            return result;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T loaded = default!;
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? bar = null;
                loaded = load((done, of) =>
                {
                    bar ??= ctx.AddTask("loading weights onto the device", maxValue: of);
                    bar.Value = done;
                    layers = of;
                });
            });
        if (layers > 0) err.WriteLine($"streamed {layers} layers to the device in {clock.Elapsed.TotalSeconds:F1} s");
        return loaded;
    }
}
