using System.Text.Json;
using EdgePruning.Cli;

namespace EdgePruning.Tests.Cli;

/// <summary><c>edgeprune prune</c> shows the memory plan before the run and the measured peak after it.</summary>
public class PruneMemoryReportTests
{
    /// <summary>The plan's arena terms against the arena's high-water mark: within 2% (see MemoryPlannerTests).</summary>
    private const double ArenaTolerance = 0.02;

    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [Fact]
    public void Prune_Json_PutsThePlanInTheStartEventAndThePeakBesideItInTheResult()
    {
        var dir = Directory.CreateTempSubdirectory("ep-plan-");
        try
        {
            var (code, stdout, stderr) = Run("prune", "--steps", "5", "--out", dir.FullName, "--json");
            Assert.True(code == CliApp.ExitOk, stdout + stderr);
            // The built-in program announces its compilation in plain text first; the events follow.
            var start = JsonDocument.Parse(stderr.Split('\n').First(l => l.StartsWith("{\"event\":\"start\"", StringComparison.Ordinal))).RootElement;
            Assert.True(start.GetProperty("memory_plan").GetProperty("terms").GetArrayLength() > 0);

            using var doc = JsonDocument.Parse(stdout);
            var memory = doc.RootElement.GetProperty("memory");
            long planned = memory.GetProperty("planned").GetProperty("arena_bytes").GetInt64();
            long measured = memory.GetProperty("measured").GetProperty("arena_high_water_bytes").GetInt64();
            Assert.True(Math.Abs((double)measured / planned - 1) <= ArenaTolerance, $"arena: measured {measured} B, planned {planned} B");
            Assert.Equal(start.GetProperty("memory_plan").GetProperty("total_bytes").GetInt64(), memory.GetProperty("planned").GetProperty("total_bytes").GetInt64());
            Assert.True(memory.GetProperty("measured").GetProperty("process_peak_working_set_bytes").GetInt64() > 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Prune_Text_PrintsThePlanLineBeforeAndTheMeasuredPeakAfter()
    {
        var dir = Directory.CreateTempSubdirectory("ep-plan-");
        try
        {
            var (code, stdout, stderr) = Run("prune", "--steps", "5", "--out", dir.FullName);
            Assert.True(code == CliApp.ExitOk, stderr);
            Assert.Contains("memory plan ", stderr);
            Assert.True(stderr.IndexOf("memory plan ", StringComparison.Ordinal) < stderr.IndexOf("step 5/5", StringComparison.Ordinal), stderr);
            Assert.Contains("measured arena peak", stdout);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Prune_Recompute_PlansOneLayerAtATime_AndTheArenaMatchesThatPlan()
    {
        var dir = Directory.CreateTempSubdirectory("ep-plan-");
        try
        {
            var (code, stdout, stderr) = Run("prune", "--steps", "3", "--recompute", "--out", dir.FullName, "--json");
            Assert.True(code == CliApp.ExitOk, stdout + stderr);
            var start = JsonDocument.Parse(stderr.Split('\n').First(l => l.StartsWith("{\"event\":\"start\"", StringComparison.Ordinal))).RootElement;
            Assert.Equal("recompute-per-layer", start.GetProperty("memory_plan").GetProperty("schedule").GetString());
            using var doc = JsonDocument.Parse(stdout);
            var memory = doc.RootElement.GetProperty("memory");
            long planned = memory.GetProperty("planned").GetProperty("arena_bytes").GetInt64();
            long measured = memory.GetProperty("measured").GetProperty("arena_high_water_bytes").GetInt64();
            Assert.True(Math.Abs((double)measured / planned - 1) <= ArenaTolerance, $"arena: measured {measured} B, planned {planned} B");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("fused masked read needs a LayerNorm or RMSNorm", "--masked-read", "fused")]
    [InlineData("unknown masked read 'sideways'", "--masked-read", "sideways")]
    public void Prune_AReadPathTheModelCannotTake_IsAOneLineError(string message, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("ep-plan-");
        try
        {
            var (code, _, stderr) = Run(["prune", "--steps", "2", "--out", dir.FullName, .. args]);
            Assert.Equal(CliApp.ExitError, code);
            string last = stderr.TrimEnd().Split('\n')[^1];
            Assert.Contains(message, last);
            Assert.DoesNotContain(" at EdgePruning.", stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
