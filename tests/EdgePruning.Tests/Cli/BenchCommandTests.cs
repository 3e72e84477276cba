using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

public class BenchCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [Fact]
    public void Bench_Json_TinyShape_ReportsStepTimesThePlanAndTheMeasuredPeak()
    {
        var (code, stdout, stderr) = Run("bench", "--shape", "tiny", "--layers", "1", "--batch", "2", "--seq", "8", "--steps", "2", "--warmup", "0", "--threads", "1", "--json");
        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal(1, r.GetProperty("layers").GetInt32());
        var times = r.GetProperty("step_ms").EnumerateArray().Select(t => t.GetDouble()).ToArray();
        Assert.Equal(2, times.Length);
        Assert.All(times, t => Assert.True(t > 0));
        var ms = r.GetProperty("ms_per_step");
        Assert.True(ms.GetProperty("median").GetDouble() > 0);
        Assert.InRange(ms.GetProperty("median").GetDouble(), ms.GetProperty("min").GetDouble(), ms.GetProperty("max").GetDouble());
        Assert.True(r.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.True(r.GetProperty("launches_per_step").GetProperty("total").GetInt32() > 0);

        var plan = r.GetProperty("memory_plan");
        Assert.Equal(8, plan.GetProperty("seq_len").GetInt32());
        var terms = plan.GetProperty("terms").EnumerateArray().ToArray();
        Assert.Contains(terms, t => t.GetProperty("key").GetString() == "difference_stack");
        Assert.Equal(plan.GetProperty("total_bytes").GetInt64(), terms.Sum(t => t.GetProperty("bytes").GetInt64()));
        var peak = r.GetProperty("peak");
        Assert.True(peak.GetProperty("arena_high_water_bytes").GetInt64() > 0);
        Assert.True(peak.GetProperty("process_peak_working_set_bytes").GetInt64() > 0);

        var events = stderr.TrimEnd().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString());
        Assert.Equal(["step", "step"], events);
    }

    [Fact]
    public void Bench_Text_PrintsThePlanThenTheStepTable()
    {
        var (code, stdout, _) = Run("bench", "--shape", "tiny", "--batch", "2", "--seq", "8", "--steps", "1", "--threads", "1");
        Assert.True(code == CliApp.ExitOk, stdout);
        int plan = stdout.IndexOf("memory plan", StringComparison.Ordinal), steps = stdout.IndexOf("ms/step (median)", StringComparison.Ordinal);
        Assert.True(plan >= 0 && steps > plan, stdout);
        Assert.Contains("layer_working_set", stdout);
        Assert.Contains("arena peak", stdout);
    }

    [Fact]
    public void Bench_PlanOnly_CodeLlama13BOnAGpu_SaysWhichMicroBatchFits80GB()
    {
        var (code, stdout, stderr) = Run("bench", "--shape", "codellama-13b", "--device", "cuda", "--dtype", "bf16", "--seq", "72", "--batch", "32",
            "--plan-only", "--budget-gb", "80", "--json");
        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.False(r.TryGetProperty("step_ms", out _));
        Assert.Equal("keep-all-layers", r.GetProperty("memory_plan").GetProperty("schedule").GetString());
        Assert.Equal(3_872_820, r.GetProperty("edges").GetInt64());
        var budget = r.GetProperty("budget");
        Assert.InRange(budget.GetProperty("largest_micro_batch").GetInt32(), 1, 32);
        Assert.Equal(r.GetProperty("memory_plan").GetProperty("total_bytes").GetInt64() <= 80_000_000_000, budget.GetProperty("fits").GetBoolean());
    }

    [NoCudaFact]
    public void Bench_OnCudaWithoutAGpu_IsAOneLineError()
    {
        var (code, stdout, stderr) = Run(["bench", "--shape", "tiny", "--device", "cuda", "--steps", "1"]);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        string line = Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(CudaProbe.UnavailableReason!, line);
    }

    [Theory]
    [InlineData("not supported on the CPU backend", "--dtype", "bf16")]
    [InlineData("unknown shape", "--shape", "gpt5")]
    [InlineData("--layers must be in 1..12", "--layers", "13")]
    public void Bench_Unsupported_IsAOneLineError(string message, params string[] args)
    {
        var (code, stdout, stderr) = Run(["bench", .. args]);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(message, stderr);
    }
}
