using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

public class BenchCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [Fact]
    public void Bench_Json_TinyShape_TimesTheFusedAndTheUnfusedReadWithTheirPlansAndMeasuredPeaks()
    {
        var (code, stdout, stderr) = Run("bench", "--shape", "tiny", "--layers", "1", "--batch", "2", "--seq", "8", "--steps", "2", "--warmup", "2", "--threads", "1", "--json");
        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var r = doc.RootElement;
        Assert.Equal(1, r.GetProperty("layers").GetInt32());
        var runs = r.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(["fused", "unfused"], runs.Select(x => x.GetProperty("masked_read").GetString()));
        Assert.All(runs, x => Assert.False(x.GetProperty("cuda_graph").GetBoolean()));
        foreach (var run in runs)
        {
            var times = run.GetProperty("step_ms").EnumerateArray().Select(t => t.GetDouble()).ToArray();
            Assert.Equal(2, times.Length);
            Assert.All(times, t => Assert.True(t > 0));
            var ms = run.GetProperty("ms_per_step");
            Assert.InRange(ms.GetProperty("median").GetDouble(), ms.GetProperty("min").GetDouble(), ms.GetProperty("max").GetDouble());
            Assert.True(run.GetProperty("tokens_per_second").GetDouble() > 0);
            var launches = run.GetProperty("launches_per_step");
            Assert.True(launches.GetProperty("total").GetInt32() > 0);
            Assert.True(launches.GetProperty("by_family").GetProperty("Gradients").GetInt32() > 0);
            Assert.Equal(JsonValueKind.True, launches.GetProperty("repeat_step_to_step").ValueKind);
            // One layer: its attention and MLP reads and the readout, in the clean pass; the corrupted run has no readout.
            var forward = run.GetProperty("masked_reads").GetProperty("forward");
            Assert.Equal(2 + 3, forward.GetProperty("calls").GetInt32());
            Assert.True(forward.GetProperty("gb_per_s").GetDouble() > 0);
            Assert.Equal(3, run.GetProperty("masked_reads").GetProperty("backward").GetProperty("calls").GetInt32());

            var plan = run.GetProperty("memory_plan");
            Assert.Equal(8, plan.GetProperty("seq_len").GetInt32());
            var terms = plan.GetProperty("terms").EnumerateArray().ToArray();
            Assert.Contains(terms, t => t.GetProperty("key").GetString() == "difference_stack");
            Assert.Equal(plan.GetProperty("total_bytes").GetInt64(), terms.Sum(t => t.GetProperty("bytes").GetInt64()));
            var peak = run.GetProperty("peak");
            Assert.True(peak.GetProperty("arena_high_water_bytes").GetInt64() > 0);
            Assert.True(peak.GetProperty("process_peak_working_set_bytes").GetInt64() > 0);
        }
        Assert.True(r.GetProperty("fused_step_speedup").GetDouble() > 0);
        Assert.True(runs[0].GetProperty("peak").GetProperty("arena_high_water_bytes").GetInt64()
            < runs[1].GetProperty("peak").GetProperty("arena_high_water_bytes").GetInt64(), "the fused read keeps less than the unfused");

        var events = stderr.TrimEnd().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString());
        Assert.Equal(["step", "step", "step", "step"], events);
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
        Assert.Equal(3_872_820, r.GetProperty("edges").GetInt64());
        var runs = r.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        foreach (var run in runs)
        {
            Assert.False(run.TryGetProperty("step_ms", out _));
            Assert.Equal("keep-all-layers", run.GetProperty("memory_plan").GetProperty("schedule").GetString());
            var budget = run.GetProperty("budget");
            Assert.InRange(budget.GetProperty("largest_micro_batch").GetInt32(), 1, 32);
            Assert.Equal(run.GetProperty("memory_plan").GetProperty("total_bytes").GetInt64() <= 80_000_000_000, budget.GetProperty("fits").GetBoolean());
        }
        long fused = runs[0].GetProperty("memory_plan").GetProperty("total_bytes").GetInt64();
        long unfused = runs[1].GetProperty("memory_plan").GetProperty("total_bytes").GetInt64();
        Assert.True(fused < unfused, $"fused read planned at {fused:N0} B, unfused at {unfused:N0} B");
    }

    [Fact]
    public void Bench_Launches_CountsAStepOfEachReadPath_AndTimesNothing()
    {
        var (code, stdout, stderr) = Run("bench", "--shape", "codellama-13b", "--layers", "2", "--batch", "4", "--micro-batch", "2", "--launches", "--json");
        Assert.True(code == CliApp.ExitOk, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        var totals = runs.Select(r => r.GetProperty("launches_per_step").GetProperty("total").GetInt32()).ToArray();
        Assert.All(runs, r => Assert.False(r.TryGetProperty("step_ms", out _)));
        // The fused read replaces a copy per reader and the GEMM of each read with one launch per reader group.
        Assert.True(totals[0] > 0 && totals[0] < totals[1], $"fused {totals[0]}, unfused {totals[1]} launches");
        // Two layers, two micro-batches: one attention backward per layer for all 40 heads.
        Assert.Equal(2 * 2, runs[0].GetProperty("launches_per_step").GetProperty("by_kind").GetProperty("Gradients.AttentionBackward").GetInt32());
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
    [InlineData("unknown --masked-read 'sideways'", "--masked-read", "sideways")]
    [InlineData("--cuda-graph needs --device cuda", "--cuda-graph", "on")]
    [InlineData("unknown --cuda-graph 'sometimes'", "--cuda-graph", "sometimes")]
    public void Bench_Unsupported_IsAOneLineError(string message, params string[] args)
    {
        var (code, stdout, stderr) = Run(["bench", .. args]);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(message, stderr);
    }
}
