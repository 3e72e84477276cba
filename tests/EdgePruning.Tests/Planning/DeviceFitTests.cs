using System.Diagnostics;
using EdgePruning.Models;
using EdgePruning.Pruning.Planning;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Planning;

/// <summary>The check of a run's memory plan against a device's free memory, and the setting it names when the run does not fit.</summary>
public class DeviceFitTests
{
    private static MemoryPlanRequest Gpt2Small(int batch = 32, DType dtype = DType.F32) => new()
    {
        Config = KnownShapes.Gpt2Small(),
        EmbeddingNodes = 1,
        WeightDType = dtype,
        ActivationDType = dtype,
        Batch = batch,
        SeqLen = 64,
        Schedule = ActivationSchedule.KeepAllLayers,
        FusedReads = true,
        ReadRowsPerSequence = 1,
    };

    [Fact]
    public void ARunThatFits_PassesTheCheck()
    {
        var request = Gpt2Small();
        DeviceFit.Require(request, MemoryPlanner.Plan(request).TotalBytes, "cuda:0");
    }

    [Fact]
    public void ARunThatDoesNotFit_NamesTheLargestMicroBatchThatDoes()
    {
        var request = Gpt2Small();
        long total = MemoryPlanner.Plan(request).TotalBytes;
        long free = total * 3 / 4;
        var error = Assert.Throws<EdgePruningException>(() => DeviceFit.Require(request, free, "cuda:1"));
        Assert.StartsWith("the run does not fit cuda:1", error.Message);
        var match = System.Text.RegularExpressions.Regex.Match(error.Message, @"; --micro-batch (\d+) fits$");
        Assert.True(match.Success, error.Message);
        int micro = int.Parse(match.Groups[1].Value);
        Assert.True(MemoryPlanner.Plan(request with { MicroBatch = micro }).Fits(free), $"micro-batch {micro} does not fit");
        Assert.False(MemoryPlanner.Plan(request with { MicroBatch = micro + 1 }).Fits(free), $"micro-batch {micro + 1} fits too");
    }

    [Fact]
    public void WhenNoMicroBatchFits_RecomputationThenBf16AreNamed()
    {
        var request = Gpt2Small();
        long one = MemoryPlanner.Plan(request with { MicroBatch = 1 }).TotalBytes;
        long recomputedOne = MemoryPlanner.Plan(request with { MicroBatch = 1, Schedule = ActivationSchedule.RecomputePerLayer }).TotalBytes;
        Assert.True(recomputedOne < one, "recomputation saves nothing at this shape");
        Assert.Matches(@"^--recompute --micro-batch \d+ fits$", DeviceFit.Advice(request, one - 1));

        long weights = MemoryPlanner.Plan(request)["weights"].Bytes;
        Assert.Matches(@"^--dtype bf16 --recompute --micro-batch \d+ fits$", DeviceFit.Advice(request, weights));
        Assert.StartsWith("not even one sequence", DeviceFit.Advice(request, weights / 4));
    }

    /// <summary>
    /// The whole path under the CUDA emulator with a device of 100 MiB: <c>prune --device cuda</c> on a model whose
    /// run needs more stops before the weights go there, with one line naming what fits (no stack trace).
    /// </summary>
    [EmulatedCudaFact(Shared = true)]
    public void PruneOnASmallDevice_StopsWithOneLineNamingWhatFits()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "edgeprune.dll"), "prune", "--model", SharedData.Model("gpt2-tasks"),
                     "--task", "ioi", "--device", "cuda", "--steps", "1", "--out", Path.Combine(Path.GetTempPath(), "ep-devicefit-" + Guid.NewGuid()) })
            start.ArgumentList.Add(a);
        start.Environment["EP_EMU_DEVICE_MEMORY"] = "100MiB";
        using var process = Process.Start(start)!;
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(1, process.ExitCode);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, stderr);
        Assert.Matches(@"^edgeprune: error: the run does not fit cuda:0: its memory plan needs .* is free; .* fits$", lines[0]);
    }
}
