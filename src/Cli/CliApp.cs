namespace EdgePruning.Cli;

/// <summary>The edgeprune command line: builds the command tree and turns failures into one line.</summary>
public static class CliApp
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("edgeprune: no command yet");
        return 2;
    }
}
