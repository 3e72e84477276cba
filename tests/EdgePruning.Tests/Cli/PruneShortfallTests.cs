using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary>A run that falls short of what was asked says so on stderr and in circuit.json.</summary>
public class PruneShortfallTests
{
    private static string NewFolder() => Path.Combine(Directory.CreateTempSubdirectory("ep-short-").FullName, "run");

    private static JsonElement Circuit(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "circuit.json"))).RootElement;

    [Fact]
    public void SparsityTargetNotReached_IsAWarningAndAShortfallInCircuitJson()
    {
        string dir = NewFolder();
        // Four steps of the demo's 0.92 target: the masks have barely moved.
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "4", "--out", dir);
        Assert.True(code == 0, stderr);
        Assert.Contains("edgeprune: warning: edge sparsity target 0.92 not reached", stderr);
        var shortfall = Assert.Single(Circuit(dir).GetProperty("shortfalls").EnumerateArray()).GetString();
        Assert.Contains("not reached", shortfall);
        Assert.Contains("after 4 steps", shortfall);
    }

    [Fact]
    public void TargetReached_WritesNoShortfall()
    {
        string dir = NewFolder();
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "4", "--target-sparsity", "0", "--out", dir);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("warning", stderr);
        Assert.False(Circuit(dir).TryGetProperty("shortfalls", out _));
    }

    [SharedFact]
    public void TaskWithoutATestSplit_SaysWhyTheMetricsAreMissing()
    {
        string dir = NewFolder();
        string task = Path.Combine(Path.GetDirectoryName(dir)!, "tiny.jsonl");
        string Line(string name, string other) => JsonSerializer.Serialize(new
        {
            clean = $"Once upon a time, there was a little girl named {name}. One day, when",
            corrupted = $"Once upon a time, there was a little boy named {other}. One day, when",
            target = " she",
            distractor = " he",
        });
        File.WriteAllLines(task, [Line("Lily", "Tim"), Line("Lily", "Tim")]);
        var (code, _, stderr) = CliRunner.Run("prune", "--model", SharedData.Model("stories260K", "stories260K.bin"),
            "--task", task, "--steps", "2", "--target-sparsity", "0", "--out", dir);
        Assert.True(code == 0, stderr);
        Assert.Contains("edgeprune: warning: task tiny has no test examples", stderr);
        var circuit = Circuit(dir);
        Assert.Contains("no test examples", Assert.Single(circuit.GetProperty("shortfalls").EnumerateArray()).GetString());
        Assert.Empty(circuit.GetProperty("metrics").EnumerateObject());

        var eval = CliRunner.Run("eval", "--model", SharedData.Model("stories260K", "stories260K.bin"), "--task", task,
            "--circuit", Path.Combine(dir, "circuit.json"));
        Assert.Equal(CliApp.ExitError, eval.Code);
        Assert.Contains("no test examples", Assert.Single(eval.Err.TrimEnd().Split('\n')));
    }
}
