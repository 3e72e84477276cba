using EdgePruning.Cli;

namespace EdgePruning.Tests.Rasp;

/// <summary>The embedded default: <c>edgeprune prune</c> with no model compiles, prunes and checks a built-in program.</summary>
public class RaspCliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [Fact]
    public void PruneWithoutModel_RecoversTheDefaultProgramsGroundTruth_AndWritesCircuitAndPicture()
    {
        var dir = Directory.CreateTempSubdirectory("ep-rasp-cli-");
        try
        {
            var (code, stdout, stderr) = Run("prune", "--out", dir.FullName);
            Assert.True(code == 0, stderr);
            Assert.Contains("precision 100 %, recall 100 %", stdout);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "circuit.json")));
            Assert.True(File.Exists(Path.Combine(dir.FullName, "circuit.dot")));
            var page = File.ReadAllText(Path.Combine(dir.FullName, "circuit.html"));
            Assert.Contains("<script", page);
            Assert.Contains("\"a1.h0\"", page); // the circuit's data is embedded (JSON-escaped) in the page
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void ProgramWithModel_IsOneLineError()
    {
        var (code, _, stderr) = Run("prune", "--program", "sort", "--model", "x.safetensors");
        Assert.Equal(CliApp.ExitError, code);
        Assert.Contains("--program sort", stderr);
    }

    [Fact]
    public void UnknownProgram_NamesTheKnownOnes()
    {
        var (code, _, stderr) = Run("prune", "--program", "nope");
        Assert.Equal(CliApp.ExitError, code);
        Assert.Contains("xproportion", stderr);
    }

    [Fact]
    public void RaspList_ListsEveryProgram()
    {
        var (code, stdout, _) = Run("rasp", "list");
        Assert.Equal(0, code);
        foreach (var name in new[] { "xproportion", "reverse", "histogram", "sort", "xmajority" }) Assert.Contains(name, stdout);
    }
}
