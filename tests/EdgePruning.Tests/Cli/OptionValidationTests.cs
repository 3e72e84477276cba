using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary>Bad option values end with exit 1 and one line that names the option, before anything loads.</summary>
public class OptionValidationTests
{
    [Theory]
    [InlineData("--threads 0", "prune", "--threads", "0")]
    [InlineData("--threads -2", "prune", "--threads", "-2")]
    [InlineData("--threads 0", "bench", "--threads", "0")]
    [InlineData("--threads -1", "sweep", "--threads", "-1")]
    [InlineData("--acdc-candidates", "sweep", "--acdc-candidates", "-1")]
    [InlineData("--binarize-sparsity", "prune", "--binarize-sparsity", "1.5")]
    [InlineData("--binarize-sparsity", "prune", "--binarize-sparsity", "-0.1")]
    [InlineData("--lr", "prune", "--lr", "inf")]
    [InlineData("--lr", "prune", "--lr", "fast")]
    [InlineData("--lr", "prune", "--lr", "0")]
    [InlineData("--lr", "sweep", "--lr", "0")]
    [InlineData("--steps", "prune", "--steps", "0")]
    [InlineData("--batch", "eval", "--batch", "0", "--model", "m", "--circuit", "c")]
    [InlineData("--temperature", "generate", "--temperature", "-1", "--model", "m")]
    public void BadValue_IsExitOneWithOneLineNamingTheOption(string option, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(option.Split(' ')[0], line);
        Assert.DoesNotContain("internal error", line);
        Assert.DoesNotContain("System.", line);
    }

    [Fact]
    public void MicroBatchLargerThanBatch_IsExitOneBeforeTheModelLoads()
    {
        var (code, _, stderr) = CliRunner.Run("prune", "--model", "/no/such/model.bin", "--batch", "4", "--micro-batch", "9");
        Assert.Equal(CliApp.ExitError, code);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains("--micro-batch 9 is larger than --batch 4", line);
    }

    [Fact]
    public void UnknownOptionAndMissingRequiredOption_StayUsageErrors()
    {
        Assert.Equal(CliApp.ExitUsage, CliRunner.Run("prune", "--no-such-option").Code);
        Assert.Equal(CliApp.ExitUsage, CliRunner.Run("eval").Code);
    }

    [SharedFact]
    public void GenerateStepsBeyondTheContext_SaysItStopsEarly()
    {
        var (code, _, stderr) = CliRunner.Run("generate", "--model", SharedData.Model("stories260K", "stories260K.bin"), "--prompt", "Once", "--steps", "600");
        Assert.Equal(0, code);
        Assert.Contains("stops early", stderr);
        Assert.Contains("context of 512 tokens", stderr);
    }
}
