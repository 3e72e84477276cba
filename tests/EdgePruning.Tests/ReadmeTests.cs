using System.Text.RegularExpressions;
using EdgePruning.Tests.Circuits;

namespace EdgePruning.Tests;

/// <summary>What the README tells a new user to run matches the repository.</summary>
public class ReadmeTests
{
    private static readonly string Root = CircuitSchema.RepositoryRoot();
    private static string Readme => File.ReadAllText(Path.Combine(Root, "README.md"));

    [Fact]
    public void Usage_RunsAnInstalledEdgeprune_FromTheInstallTargetOfBuildPs1()
    {
        Assert.DoesNotContain("alias edgeprune='dotnet run", Readme);
        Assert.Contains("dotnet pwsh build.ps1 install", Readme);
        string script = File.ReadAllText(Path.Combine(Root, "build.ps1"));
        Assert.Matches(@"ValidateSet\([^)]*'install'", script);
        Assert.Contains("'publish', 'src/Cli', '-c', 'Release', '-p:IlcInstructionSet=native', '-o', '.bin'", script);
        Assert.Contains("/.bin/", File.ReadAllText(Path.Combine(Root, ".gitignore")));
    }

    [Fact]
    public void PythonExample_WritesUnderRuns_NotIntoTheRepositoryRoot()
    {
        var saves = Regex.Matches(Readme, @"\.(save|export)\(""([^""]+)""").Select(m => m.Groups[2].Value).ToArray();
        Assert.NotEmpty(saves);
        Assert.All(saves, path => Assert.StartsWith("runs/", path));
    }

    [Fact]
    public void DemoTiming_MentionsTheFirstBuild()
    {
        Assert.Matches(@"fresh clone\s+first spends about 2 minutes", Readme);
    }
}
