using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary><c>edgeprune inspect --device --dtype</c>: the memory plan of a run on that device, in that dtype, and whether it fits there.</summary>
public class InspectPlanTests
{
    private static JsonElement Document(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run([.. args, "--json"]);
        Assert.True(code == CliApp.ExitOk, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [CudaFact(Shared = true)]
    public void OnCuda_InBf16_ThePlanHasBf16WeightsAndFitsTheFreeMemory()
    {
        var bf16 = Document("inspect", "gpt2-small", "--device", "cuda", "--dtype", "bf16", "--batch", "8");
        var f32 = Document("inspect", "gpt2-small", "--device", "cuda", "--dtype", "f32", "--batch", "8");
        Assert.Equal("cuda:0", bf16.GetProperty("device").GetProperty("name").GetString());
        var plan = bf16.GetProperty("memory_plan");
        Assert.Equal("bf16", plan.GetProperty("weight_dtype").GetString());
        Assert.Equal("f32", f32.GetProperty("memory_plan").GetProperty("weight_dtype").GetString());
        long Weights(JsonElement d) => d.GetProperty("memory_plan").GetProperty("terms").EnumerateArray()
            .Single(t => t.GetProperty("key").GetString() == "weights").GetProperty("bytes").GetInt64();
        Assert.Equal(2 * Weights(bf16), Weights(f32));
        Assert.True(bf16.GetProperty("fits").GetBoolean());
        Assert.True(bf16.GetProperty("free_bytes").GetInt64() >= plan.GetProperty("total_bytes").GetInt64());
    }

    /// <summary>GPT-2 small at the paper's batch of 32 × 64 tokens needs 8.98 GB in bf16 with every layer kept: more than the emulated 8 GiB GPU has free, and the line names the micro-batch that fits.</summary>
    [CudaFact(Shared = true)]
    public void Gpt2Small_AtBatch32_OnAn8GiBGpu_NamesTheMicroBatchThatFits()
    {
        var doc = Document("inspect", "gpt2-small", "--device", "cuda", "--dtype", "bf16");
        Assert.False(doc.GetProperty("fits").GetBoolean());
        Assert.Matches(@"^--micro-batch \d+ fits$", doc.GetProperty("advice").GetString());
    }

    /// <summary>The emulated GPU has 8 GiB: CodeLlama-13B's bf16 weights alone (26 GB) do not fit, and the text says so in one line.</summary>
    [CudaFact(Shared = true)]
    public void CodeLlama13B_OnASmallGpu_DoesNotFit_AndTheLineSaysWhatWouldBeNeeded()
    {
        var doc = Document("inspect", "codellama-13b", "--device", "cuda", "--dtype", "bf16");
        Assert.False(doc.GetProperty("fits").GetBoolean());
        Assert.True(doc.GetProperty("memory_plan").GetProperty("total_bytes").GetInt64() > doc.GetProperty("free_bytes").GetInt64());
        var (code, stdout, _) = CliRunner.Run("inspect", "codellama-13b", "--device", "cuda", "--dtype", "bf16");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("3,872,820", stdout);
        Assert.Matches(@"(?m)^cuda:0: does not fit \(.* needed, .* free\); .+$", stdout);
    }

    [Fact]
    public void OnTheCpu_ThePlanIsInF32_AndNotCheckedAgainstHostMemory()
    {
        var doc = Document("inspect", "gpt2-small", "--device", "cpu", "--batch", "8", "--seq-len", "32");
        Assert.Equal("cpu", doc.GetProperty("device").GetProperty("name").GetString());
        var plan = doc.GetProperty("memory_plan");
        Assert.Equal("f32", plan.GetProperty("weight_dtype").GetString());
        Assert.Equal(8, plan.GetProperty("batch").GetInt32());
        Assert.Equal(32, plan.GetProperty("seq_len").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.GetProperty("fits").ValueKind);
        var (code, stdout, _) = CliRunner.Run("inspect", "gpt2-small", "--device", "cpu");
        Assert.Equal(CliApp.ExitOk, code);
        Assert.Contains("memory plan:", stdout);
        Assert.Contains("cpu: the plan is not checked against host memory", stdout);
    }

    [Theory]
    [InlineData("the model's 1024 positions", "inspect", "gpt2-small", "--device", "cpu", "--seq-len", "5000")]
    [InlineData("--dtype bf16 is not supported on the CPU", "inspect", "gpt2-small", "--device", "cpu", "--dtype", "bf16")]
    [InlineData("unknown device 'tpu'", "inspect", "gpt2-small", "--device", "tpu")]
    public void BadInput_IsOneLine(string expected, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(CliApp.ExitError, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, stderr);
        Assert.Contains(expected, lines[0]);
    }
}
