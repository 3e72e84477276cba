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
        root.Options.Add(CommandOutput.JsonOption);
        root.Add(ViewCommand.Create());
        root.Add(CompareCommand.Create());
        root.Add(GenerateCommand.Create());
        root.Add(InspectCommand.Create());
        root.Add(PruneCommand.Create());
        root.Add(EvalCommand.Create());
        root.Add(ExportCommand.Create());
        root.Add(RaspCommand.Create());
        root.Add(SweepCommand.Create());
        root.Add(DevicesCommand.Create());
        root.Add(BenchCommand.Create());
        root.Add(SelfTestCommand.Create());
        return root;
    }

    public static int Run(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var output = stdout ?? Console.Out;
        var error = stderr ?? Console.Error;
        bool json = args.Contains(CommandOutput.JsonOption.Name);
        try
        {
            var parse = Build().Parse(args);
            if (parse.Errors.Count > 0)
            {
                string message = string.Join("; ", parse.Errors.Select(e => e.Message));
                // A bad value of a known option (--threads 0, --lr fast) is invalid input, like a bad file;
                // an unknown option or command is a usage error.
                if (parse.Errors.All(OptionRules.IsValueError))
                {
                    if (json) CommandOutput.WriteDocument(output, CommandOutput.Error("invalid_input", message, ExitError));
                    else error.WriteLine($"edgeprune: error: {message}");
                    return ExitError;
                }
                if (json) CommandOutput.WriteDocument(output, CommandOutput.Error("usage", message, ExitUsage));
                else foreach (var e in parse.Errors) error.WriteLine($"edgeprune: {e.Message}");
                return ExitUsage;
            }
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex)
        {
            return Report(ex, error, json ? output : null);
        }
    }

    /// <summary>
    /// One line naming the problem on stderr (a stack trace only when EDGEPRUNE_DEBUG is set), or, when
    /// <paramref name="jsonOutput"/> is given, the error document on it instead.
    /// </summary>
    public static int Report(Exception ex, TextWriter error, TextWriter? jsonOutput = null)
    {
        if (ex is AggregateException { InnerExceptions.Count: 1 } agg) ex = agg.InnerException!;
        bool debug = Environment.GetEnvironmentVariable("EDGEPRUNE_DEBUG") is { Length: > 0 };
        var (exit, code, line) = Classify(ex);
        if (jsonOutput is not null)
        {
            CommandOutput.WriteDocument(jsonOutput, CommandOutput.Error(code, line, exit));
            return exit;
        }
        error.WriteLine(code switch
        {
            "cancelled" => "edgeprune: cancelled",
            "internal" => $"edgeprune: internal error: {line} (set EDGEPRUNE_DEBUG=1 for details)",
            _ => $"edgeprune: error: {line}",
        });
        if (debug && code is "invalid_input" or "internal") error.WriteLine(ex);
        return exit;
    }

    /// <summary>The exit code, the stable error word of the JSON document, and the one-line message.</summary>
    public static (int Exit, string Code, string Message) Classify(Exception ex) => ex switch
    {
        // Loaders say "PATH: file not found" (or tokenizer, checkpoint, task file): the README's not_found,
        // as the C ABI classifies it. A tensor missing inside a file is a broken file, not a missing one.
        EdgePruningException when IsMissingInput(ex.Message) => (ExitError, "not_found", OneLine(ex.Message)),
        EdgePruningException => (ExitError, "invalid_input", OneLine(ex.Message)),
        FileNotFoundException fnf => (ExitError, "not_found", $"{fnf.FileName ?? OneLine(fnf.Message)}: file not found"),
        DirectoryNotFoundException => (ExitError, "not_found", OneLine(ex.Message)),
        IOException or UnauthorizedAccessException => (ExitError, "io", OneLine(ex.Message)),
        OperationCanceledException => (ExitError, "cancelled", "cancelled"),
        OutOfMemoryException => (ExitError, "out_of_memory", "out of host memory; use a smaller batch or model"),
        _ => (ExitInternal, "internal", $"{ex.GetType().Name}: {OneLine(ex.Message)}"),
    };

    private static bool IsMissingInput(string message) =>
        message.Contains(" not found", StringComparison.Ordinal) && !message.Contains("tensor '", StringComparison.Ordinal);

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
