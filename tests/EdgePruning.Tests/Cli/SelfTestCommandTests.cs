using System.Text.Json;
using System.Text.RegularExpressions;
using EdgePruning.Cli;
using EdgePruning.Kernels.Parity;

namespace EdgePruning.Tests.Cli;

public class SelfTestCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Cpu_Quick_PassesEveryCheck_AndEndsWithTheSummaryLine()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "cpu", "--quick");

        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.StartsWith("backend cpu: ", lines[0]);
        var summary = Regex.Match(lines[^1], @"^(\d+) checks passed, 0 failed$");
        Assert.True(summary.Success, lines[^1]);
        Assert.True(int.Parse(summary.Groups[1].Value) > 40);
        Assert.Contains("forward gpt2-small (random)", stdout);
        Assert.Contains("attention", stdout);
        Assert.Contains("copy f32→bf16→f32", stdout);
    }

    [Fact]
    public void Json_IsOneDocumentWhoseCountsMatchItsChecks()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "cpu", "--quick", "--seed", "7", "--json");

        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        var checks = root.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Equal(7, root.GetProperty("seed").GetInt32());
        Assert.Equal(checks.Count, root.GetProperty("passed").GetInt32());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        Assert.All(checks, c => Assert.Equal("passed", c.GetProperty("status").GetString()));
        Assert.Contains(checks, c => c.GetProperty("kind").GetString() == "model");
        // Progress: one JSON line per check on stderr.
        Assert.Equal(checks.Count, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("{\"event\":\"check\"", StringComparison.Ordinal)));
    }

    [CudaFact]
    public void Cuda_QuickAndTiny_PassesEveryCheck_TheBf16StepGradientsIncluded()
    {
        // Under the CUDA emulator in CI; on a real GPU the same command runs unchanged. The bf16 whole-step checks are held
        // too: each edge gradient against the size of the terms it sums (ParityTolerances.ForStep), so that gpt2-tiny's
        // m1 → logits, whose terms nearly cancel (the MLP's output barely moves between the clean and corrupted runs),
        // is held to its bf16 rounding and not to its small value.
        var (code, stdout, stderr) = Run("selftest", "--device", "cuda", "--quick", "--tiny", "--json");

        using var doc = JsonDocument.Parse(stdout);
        var checks = doc.RootElement.GetProperty("checks").EnumerateArray().ToList();
        Assert.StartsWith("cuda", doc.RootElement.GetProperty("device").GetString());
        Assert.True(checks.Count > 100, $"{checks.Count} checks");
        Assert.All(checks, c => Assert.True(c.GetProperty("status").GetString() == "passed", c.ToString()));
        bool Named(JsonElement c, string prefix) => c.GetProperty("name").GetString()!.StartsWith(prefix, StringComparison.Ordinal);
        Assert.Contains(checks, c => Named(c, "pruning step llama-tiny (random)"));
        Assert.Contains(checks, c => Named(c, "pruning step gpt2-tiny (random)") && c.GetProperty("dtype").GetString() == "bf16");
        Assert.Contains(checks, c => Named(c, "captured steps gpt2-tiny (random)"));
        Assert.Contains(checks, c => c.GetProperty("name").GetString() == "masked read backward");
        Assert.True(code == CliApp.ExitOk, stderr);
    }

    [CudaFact]
    public void Cuda_Tf32_IsRecordedAndPassesTheStepChecksUnderTheTf32Tolerance()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "cuda", "--quick", "--tiny", "--tf32", "--json");

        using var doc = JsonDocument.Parse(stdout);
        Assert.True(doc.RootElement.GetProperty("tf32").GetBoolean());
        var steps = doc.RootElement.GetProperty("checks").EnumerateArray()
            .Where(c => c.GetProperty("kind").GetString() == "step" && c.GetProperty("dtype").GetString() == "f32").ToList();
        Assert.NotEmpty(steps);
        Assert.All(steps, c => Assert.Equal(ParityTolerances.StepTf32, c.GetProperty("term_rtol").GetDouble(), 12));
        Assert.True(code == CliApp.ExitOk, stdout + stderr);
    }

    [Fact]
    public void Tf32_OnTheCpu_IsAOneLineError()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "cpu", "--tf32");
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        Assert.Contains("--tf32 needs a cuda device", Assert.Single(stderr.TrimEnd().Split('\n')));
    }

    [NoCudaFact]
    public void Cuda_WithoutADevice_IsAOneLineErrorSayingWhy()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "cuda");

        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("edgeprune: error: ", line);
        Assert.True(line.Contains("CUDA", StringComparison.Ordinal) || line.Contains("libcuda", StringComparison.Ordinal), line);
        Assert.Contains(CudaProbe.UnavailableReason!, line);
    }

    [Fact]
    public void UnknownDevice_IsAOneLineError()
    {
        var (code, stdout, stderr) = Run("selftest", "--device", "tpu");
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        Assert.Contains("unknown device 'tpu'", Assert.Single(stderr.TrimEnd().Split('\n')));
    }
}
