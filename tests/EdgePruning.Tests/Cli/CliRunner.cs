using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary>Runs <c>edgeprune</c> in process and captures what it writes.</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
