using System.CommandLine;
using EdgePruning.Cli.Commands;
using EdgePruning.Runtime;

namespace EdgePruning.Cli;

/// <summary>The edgeprune command line: builds the command tree and turns every failure into one line.</summary>
public static class CliApp
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 2;
    public const int ExitInternal = 3;

    public static RootCommand Build()
    {
        var root = new RootCommand("edgeprune: find circuits in transformer language models with Edge Pruning");
        root.Add(GenerateCommand.Create());
        root.Add(InspectCommand.Create());
        root.Add(PruneCommand.Create());
        root.Add(EvalCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(SweepCommand.Create());
        return root;
    }

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        try
        {
            var parse = Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                foreach (var e in parse.Errors) error.WriteLine($"edgeprune: {e.Message}");
                return ExitUsage;
            }
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            return Report(ex, error);
        }
    }

    /// <summary>One line naming the problem; a stack trace only when EDGEPRUNE_DEBUG is set.</summary>
    public static int Report(Exception ex, TextWriter error)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerException!;
        bool debug = Environment.GetEnvironmentVariable("EDGEPRUNE_DEBUG") is { Length: > 0 };
        switch (ex)
        {
            case EdgePruningException:
                error.WriteLine($"edgeprune: error: {OneLine(ex.Message)}");
                if (debug) error.WriteLine(ex);
                return ExitError;
            case FileNotFoundException fnf:
                error.WriteLine($"edgeprune: error: {fnf.FileName ?? OneLine(fnf.Message)}: file not found");
                return ExitError;
            case DirectoryNotFoundException or IOException or UnauthorizedAccessException:
                error.WriteLine($"edgeprune: error: {OneLine(ex.Message)}");
                return ExitError;
            case OperationCanceledException:
                error.WriteLine("edgeprune: cancelled");
                return ExitError;
            case OutOfMemoryException:
                error.WriteLine("edgeprune: error: out of host memory; use a smaller batch or model");
                return ExitError;
            default:
                error.WriteLine($"edgeprune: internal error: {ex.GetType().Name}: {OneLine(ex.Message)} (set EDGEPRUNE_DEBUG=1 for details)");
                if (debug) error.WriteLine(ex);
                return ExitInternal;
        }
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
