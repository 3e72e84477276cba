using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary>
/// What prune does with its --out folder: a resume continues the run's own settings (or refuses an option
/// that contradicts them), a finished run is replaced, an unfinished one needs --resume or --force, and
/// an --out that cannot be a folder is one line naming the path and the cause.
/// </summary>
public class PruneRunFolderTests
{
    private static string NewFolder() => Path.Combine(Directory.CreateTempSubdirectory("ep-run-").FullName, "run");

    /// <summary>A short run of the built-in demo, then its circuit.json removed as if it had been interrupted.</summary>
    private static string UnfinishedRun(params string[] extra)
    {
        string dir = NewFolder();
        var (code, _, stderr) = CliRunner.Run(["prune", "--steps", "6", "--checkpoint-every", "2", "--out", dir, .. extra]);
        Assert.True(code == 0, stderr);
        File.Delete(Path.Combine(dir, "circuit.json"));
        return dir;
    }

    private static JsonElement Hyperparameters(string dir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "circuit.json"))).RootElement.GetProperty("hyperparameters");

    [Theory]
    [InlineData("--steps", "9", "6")]
    [InlineData("--target-sparsity", "0.5", "0.92")]
    [InlineData("--seed", "3", "0")]
    [InlineData("--warm-start", "eap", "none")]
    [InlineData("--init-mean", "3", "10")]
    [InlineData("--noise", "counter", "system")]
    public void ResumeWithAConflictingOption_IsRefusedInOneLine(string option, string value, string runValue)
    {
        string dir = UnfinishedRun();
        var (code, _, stderr) = CliRunner.Run("prune", "--out", dir, "--resume", option, value);
        Assert.Equal(CliApp.ExitError, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'), l => l.StartsWith("edgeprune:"));
        Assert.Contains($"{option} {value} conflicts", line);
        Assert.Contains($"{option} {runValue}", line);
        Assert.False(File.Exists(Path.Combine(dir, "circuit.json")));
    }

    [Fact]
    public void ResumeWithoutOptions_ContinuesTheRunsOwnSettings_AndCircuitJsonRecordsThem()
    {
        string dir = UnfinishedRun("--target-sparsity", "0.8");
        var (code, _, stderr) = CliRunner.Run("prune", "--out", dir, "--resume");
        Assert.True(code == 0, stderr);
        Assert.Contains("resuming", stderr);
        Assert.Contains("at step 6 of 6 with the run's own settings", stderr);
        var h = Hyperparameters(dir);
        Assert.Equal(6, h.GetProperty("steps").GetInt32());
        Assert.Equal(0.8, h.GetProperty("target_edge_sparsity").GetDouble());
    }

    [Fact]
    public void ARunOnTheCounterNoise_ResumesOnIt_AndEndsWhereTheUninterruptedRunDoes()
    {
        static double[] Masks(string dir) => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "circuit.json"))).RootElement
            .GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("mask").GetDouble()).ToArray();
        // From log α = 0 the masks move in six steps, so the noise they drew shows in where they end.
        string[] options = ["--init-mean", "0", "--noise", "counter"];
        string dir = UnfinishedRun(options);
        Assert.Contains("\"noise\": \"counter\"", File.ReadAllText(Path.Combine(dir, "run.json")));
        var (code, _, stderr) = CliRunner.Run("prune", "--out", dir, "--resume");
        Assert.True(code == 0, stderr);
        string whole = NewFolder(), system = NewFolder();
        Assert.Equal(0, CliRunner.Run(["prune", "--steps", "6", "--out", whole, .. options]).Code);
        Assert.Equal(0, CliRunner.Run("prune", "--steps", "6", "--out", system, "--init-mean", "0").Code);
        Assert.Equal(Masks(whole), Masks(dir));
        Assert.NotEqual(Masks(system), Masks(dir));
    }

    [Fact]
    public void MaskMathOnTheDevice_ForAModelOnTheHost_IsOneLine()
    {
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "2", "--out", NewFolder(), "--mask-math", "device");
        Assert.Equal(CliApp.ExitError, code);
        Assert.Contains("mask math on the device needs a model on a device backend", Assert.Single(stderr.TrimEnd().Split('\n'), l => l.StartsWith("edgeprune:")));
    }

    [Fact]
    public void ResumeWithTheSameOptions_IsAccepted()
    {
        string dir = UnfinishedRun();
        var (code, _, stderr) = CliRunner.Run("prune", "--out", dir, "--resume", "--steps", "6", "--checkpoint-every", "3");
        Assert.True(code == 0, stderr);
        Assert.Equal(6, Hyperparameters(dir).GetProperty("steps").GetInt32());
    }

    [Fact]
    public void RerunOverAFinishedRun_ReplacesIt()
    {
        string dir = NewFolder();
        Assert.Equal(0, CliRunner.Run("prune", "--steps", "4", "--out", dir).Code);
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "5", "--out", dir);
        Assert.True(code == 0, stderr);
        Assert.Equal(5, Hyperparameters(dir).GetProperty("steps").GetInt32());
    }

    [Fact]
    public void RerunOverAnUnfinishedRun_AsksForResumeOrForce()
    {
        string dir = UnfinishedRun();
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "4", "--out", dir);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Contains("unfinished run", stderr);
        Assert.Contains("--resume", stderr);
        Assert.Contains("--force", stderr);
        var (forced, _, forcedErr) = CliRunner.Run("prune", "--steps", "4", "--out", dir, "--force");
        Assert.True(forced == 0, forcedErr);
        Assert.Equal(4, Hyperparameters(dir).GetProperty("steps").GetInt32());
    }

    [Fact]
    public void OutThatIsAFile_NamesThePathAndTheCause()
    {
        string file = Path.GetTempFileName();
        var (code, _, stderr) = CliRunner.Run("prune", "--steps", "2", "--out", file);
        Assert.Equal(CliApp.ExitError, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'), l => l.StartsWith("edgeprune:"));
        Assert.Contains($"cannot write {file}: it is a file, not a folder", line);

        var (viewCode, _, viewErr) = CliRunner.Run("rasp", "compile", "sort", "--out", Path.Combine(file, "sort.safetensors"));
        Assert.Equal(CliApp.ExitError, viewCode);
        Assert.Contains($"{file} is a file, not a folder", Assert.Single(viewErr.TrimEnd().Split('\n')));
    }

    [Fact]
    public void UnwritableOut_SaysSoInsteadOfFileNotFound()
    {
        // /proc refuses new files even to root, where chmod would not.
        var (code, _, stderr) = CliRunner.Run("rasp", "compile", "sort", "--out", "/proc/edgeprune-test/sort.safetensors");
        Assert.Equal(CliApp.ExitError, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("cannot write /proc/edgeprune-test/sort.safetensors: no permission to write in /proc", line);
        Assert.DoesNotContain("not found", line);
    }
}
