using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Sweep;

namespace EdgePruning.Tests.Sweep;

public class SweepRunnerTests
{
    private static PruningJob Job() =>
        PruningJob.Create(SharedData.Model("tracr", "xproportion.safetensors"), "tracr", CpuKernels.Instance, o => o);

    private static readonly SweepOptions Options = new()
    {
        Methods = ["ep", "eap", "acdc"], Sizes = [4, 7], EpSteps = 30, AcdcThresholds = [0.01], Batch = 16,
    };

    [SharedFact]
    public void ASweepRunAgainOnItsPointsFile_TakesEveryPointFromIt_AndComputesOnlyTheMissingOnes()
    {
        string file = Path.Combine(Path.GetTempPath(), $"points-{Guid.NewGuid():N}.csv");
        try
        {
            var first = new SweepRunner(Job(), Options) { PointsFile = file }.Run();
            var lines = File.ReadAllLines(file);
            Assert.Equal(SweepPoints.Header, lines[0]);
            Assert.Equal(5, lines.Length - 1); // ep ×2, eap ×2, acdc ×1

            // Drop the last Edge Pruning point and tear the file's last line, as a kill mid-write would.
            var kept = lines.Where(l => !l.StartsWith("ep,N=7,", StringComparison.Ordinal)).ToList();
            File.WriteAllLines(file, kept);
            File.AppendAllText(file, "acdc,tau=0.3,12,0.");
            var computed = new List<string>();
            var second = new SweepRunner(Job(), Options)
            {
                PointsFile = file,
                Progress = (m, msg) => { if (msg.Contains(" edges, KL ") && !msg.Contains("(from ")) computed.Add($"{m} {msg}"); },
            }.Run();
            Assert.Single(computed);
            Assert.StartsWith("ep N=7:", computed[0]);
            var a = first.Methods.SelectMany(m => m.Points).ToArray();
            var b = second.Methods.SelectMany(m => m.Points).ToArray();
            Assert.Equal(a.Select(p => (p.Method, p.Setting, p.Edges)), b.Select(p => (p.Method, p.Setting, p.Edges)));
            // The recomputed point is the same: a run is deterministic per (seed, step).
            Assert.Equal(a.Single(p => p.Setting == "N=7" && p.Method == "ep").Kl, b.Single(p => p.Setting == "N=7" && p.Method == "ep").Kl, 12);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
