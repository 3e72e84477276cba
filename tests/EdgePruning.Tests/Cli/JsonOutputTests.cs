using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary><c>--json</c>: one document on stdout whatever happens, JSON lines on stderr, the documented exit codes.</summary>
public class JsonOutputTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    private static JsonElement SingleDocument(string stdout)
    {
        // JsonDocument.Parse rejects trailing content, so this also proves there is exactly one document.
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Inspect_Json_IsOneDocumentWithTheEdgeCounts()
    {
        var (code, stdout, stderr) = Run("inspect", "gpt2-small", "--json");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Equal("", stderr);
        var doc = SingleDocument(stdout);
        Assert.Equal(12, doc.GetProperty("layers").GetInt32());
        Assert.Equal(32936, doc.GetProperty("edges_by_embedding_nodes").GetProperty("2").GetInt64());
        Assert.Equal(124439808, doc.GetProperty("parameters").GetInt64());
    }

    [Theory]
    [InlineData(CliApp.ExitError, "not_found", "inspect", "/no/such/dir")]
    [InlineData(CliApp.ExitError, "not_found", "eval", "--model", "/no/such/model.bin", "--circuit", "/no/such/circuit.json")]
    [InlineData(CliApp.ExitError, "not_found", "generate", "--model", "/no/such/model.bin")]
    [InlineData(CliApp.ExitError, "not_found", "view", "/no/such/circuit.json")]
    [InlineData(CliApp.ExitError, "invalid_input", "prune", "--threads", "0")]
    [InlineData(CliApp.ExitUsage, "usage", "prune", "--no-such-option")]
    [InlineData(CliApp.ExitUsage, "usage", "no-such-command")]
    public void Failure_Json_IsAnErrorDocumentWithTheExitCode(int exit, string code, params string[] args)
    {
        var (actual, stdout, stderr) = Run([.. args, "--json"]);
        Assert.Equal(exit, actual);
        Assert.Equal("", stderr);
        var error = SingleDocument(stdout).GetProperty("error");
        Assert.Equal(exit, error.GetProperty("exit_code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        string actualCode = error.GetProperty("code").GetString()!;
        Assert.Equal(code, actualCode);
    }

    [SharedFact]
    public void PruneEvalViewExport_Json_OnTracrXProportion()
    {
        var dir = Directory.CreateTempSubdirectory("ep-json-");
        try
        {
            string model = SharedData.Model("tracr", "xproportion.safetensors");
            string outDir = Path.Combine(dir.FullName, "run");
            var (code, stdout, stderr) = Run("prune", "--model", model, "--out", outDir, "--json");
            Assert.True(code == 0, stdout + stderr);
            var result = SingleDocument(stdout);
            Assert.Equal(7, result.GetProperty("kept_edges").GetInt32());
            Assert.Equal(32, result.GetProperty("total_edges").GetInt32());
            Assert.Equal(7, result.GetProperty("edges").GetArrayLength());
            string circuit = result.GetProperty("circuit").GetString()!;
            Assert.True(File.Exists(circuit));
            Circuits.CircuitSchema.AssertValid(circuit);

            var events = stderr.TrimEnd().Split('\n').Select(line => SingleDocument(line)).ToArray();
            Assert.Equal("start", events[0].GetProperty("event").GetString());
            var steps = events.Where(e => e.GetProperty("event").GetString() == "step").ToArray();
            Assert.Equal(720, steps.Length);
            Assert.Equal(720, steps[^1].GetProperty("step").GetInt32());

            var eval = Run("eval", "--model", model, "--circuit", circuit, "--json");
            Assert.True(eval.Code == 0, eval.Out + eval.Err);
            Assert.Equal(0, SingleDocument(eval.Out).GetProperty("metrics").GetProperty("scalar_error").GetDouble());

            var view = Run("view", circuit, "--json");
            Assert.True(view.Code == 0, view.Out + view.Err);
            var page = SingleDocument(view.Out);
            Assert.Equal(7, page.GetProperty("edges").GetInt32());
            Assert.Equal(5, page.GetProperty("nodes").GetInt32());

            var export = Run("export", circuit, "--format", "mib", "--json");
            Assert.True(export.Code == 0, export.Out + export.Err);
            Assert.True(File.Exists(SingleDocument(export.Out).GetProperty("path").GetString()));

            File.Delete(circuit);
            var again = Run("prune", "--model", model, "--out", outDir, "--json");
            Assert.Equal(CliApp.ExitError, again.Code);
            Assert.Contains("--resume", SingleDocument(again.Out).GetProperty("error").GetProperty("message").GetString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
