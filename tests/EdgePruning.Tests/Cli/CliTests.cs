using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [SharedFact]
    public void Generate_PrintsPromptAndGreedyContinuationOnly()
    {
        var (code, stdout, stderr) = Run("generate", "--model", SharedData.Model("stories260K", "stories260K.bin"), "--prompt", "Once upon a time", "--steps", "30");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("stories260K", "reference_output.json")));
        string reference = doc.RootElement.GetProperty("greedy_text").GetString()!;
        // The reference decodes greedily from BOS; "Once upon a time" is its first four tokens, so the
        // continuation is the same text.
        Assert.StartsWith("Once upon a time", stdout);
        Assert.StartsWith(stdout.TrimEnd('\n')[..60], reference);
        Assert.Contains("tokens/s", stderr);
        Assert.DoesNotContain("tokens/s", stdout);
    }

    [Fact]
    public void Inspect_Gpt2SmallShape_PrintsThePapersEdgeCount()
    {
        var (code, stdout, _) = Run("inspect", "gpt2-small");
        Assert.Equal(0, code);
        Assert.Contains("32,936", stdout);
        Assert.Contains("32,046", stdout);
        Assert.Contains("124,439,808", stdout);
    }

    [Fact]
    public void Inspect_CodeLlama13BShape_PrintsThePapersEdgeCount()
    {
        var (code, stdout, _) = Run("inspect", "codellama-13b");
        Assert.Equal(0, code);
        Assert.Contains("3,872,820", stdout);
    }

    [Theory]
    [InlineData("generate", "--model", "/no/such/model.bin")]
    [InlineData("inspect", "/no/such/dir")]
    [InlineData("eval", "--model", "/no/such/model.bin", "--circuit", "/no/such/circuit.json")]
    public void MissingFile_IsOneLineErrorWithoutStackTrace(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("not found", stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public void UnknownOption_IsUsageError()
    {
        var (code, _, stderr) = Run("prune", "--no-such-option");
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Contains("no-such-option", stderr);
    }

    [SharedFact]
    public void TruncatedModel_IsOneLineError()
    {
        var dir = Directory.CreateTempSubdirectory("ep-cli-");
        try
        {
            var bytes = File.ReadAllBytes(SharedData.Model("stories260K", "stories260K.bin"));
            var path = Path.Combine(dir.FullName, "stories260K.bin");
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
            var (code, _, stderr) = Run("inspect", path);
            Assert.Equal(CliApp.ExitError, code);
            Assert.Single(stderr.TrimEnd().Split('\n'));
            Assert.Contains("truncated", stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SharedFact]
    public void PruneEvalExport_OnTracrXProportion_WritesACircuitThatEvaluatesExactly()
    {
        var dir = Directory.CreateTempSubdirectory("ep-cli-");
        try
        {
            string model = SharedData.Model("tracr", "xproportion.safetensors");
            string outDir = Path.Combine(dir.FullName, "run");
            var (code, stdout, stderr) = Run("prune", "--model", model, "--out", outDir);
            Assert.True(code == 0, stderr);
            Assert.Contains("step 720/720", stderr);
            Assert.Contains("edges kept     7 of 32", stdout);
            string circuit = Path.Combine(outDir, "circuit.json");
            Assert.True(File.Exists(circuit));
            Assert.True(File.Exists(Path.Combine(outDir, "checkpoint.bin")));

            var eval = Run("eval", "--model", model, "--circuit", circuit);
            Assert.True(eval.Code == 0, eval.Err);
            Assert.Contains("scalar_error   0", eval.Out);

            var mib = Run("export", circuit, "--format", "mib");
            Assert.Equal(0, mib.Code);
            using var doc = JsonDocument.Parse(File.ReadAllText(mib.Out.Trim()));
            Assert.True(doc.RootElement.TryGetProperty("edges", out _));

            // A run without its circuit.json is unfinished: a plain rerun there asks for --resume (or --force).
            File.Delete(circuit);
            var again = Run("prune", "--model", model, "--out", outDir);
            Assert.Equal(CliApp.ExitError, again.Code);
            Assert.Contains("--resume", again.Err);

            var resumed = Run("prune", "--model", model, "--out", outDir, "--resume");
            Assert.True(resumed.Code == 0, resumed.Err);
            Assert.Contains("resuming", resumed.Err);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
