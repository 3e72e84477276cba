using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Sweep;
using EdgePruning.Runtime;
using EdgePruning.Tests.Models;

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

    [SharedFact]
    public void AcdcCandidatesPerForward_GiveTheSameAcdcPoints()
    {
        var options = new SweepOptions { Methods = ["acdc"], AcdcThresholds = [1e-3, 0.03, 0.3], Batch = 16, EvaluationExamples = 32 };
        var sequential = new SweepRunner(Job(), options).Run().Methods.Single().Points;
        var batched = new SweepRunner(Job(), options with { AcdcCandidatesPerForward = 5 }).Run().Methods.Single().Points;
        Assert.Equal(sequential.Select(p => (p.Setting, p.Edges, p.Kl, p.Faithfulness)), batched.Select(p => (p.Setting, p.Edges, p.Kl, p.Faithfulness)));
    }

    [SharedFact]
    public void EveryPointsAccuracy_IsTheEvaluatorsAccuracyOfTheSameCircuit()
    {
        var job = PruningJob.Create(SharedData.Model("tracr", "reverse.safetensors"), "tracr", CpuKernels.Instance, o => o with { NodeMasks = false });
        var options = new SweepOptions { Methods = ["eap", "acdc"], Sizes = [3, 11, 40], AcdcThresholds = [0.3], Batch = 16, EvaluationExamples = 48 };
        var result = new SweepRunner(job, options).Run();
        var examples = job.Task.Test.Take(48).ToArray();
        using var discovery = new TaskBatches(job.Pruner, job.Task.Train, 16);
        var eapScores = Eap.Scores(discovery);
        foreach (var p in result.Methods.Single(m => m.Method == "eap").Points)
        {
            var kept = AttributionCircuit.TopN(job.Masked.Layout, eapScores, long.Parse(p.Setting[2..]));
            var masks = new CircuitMasks
            {
                EdgeKept = kept, EdgeSoft = kept.Select(k => k ? 1f : 0f).ToArray(), EdgeThreshold = double.NaN,
                NodeKept = Enumerable.Repeat(true, job.Masked.Writers).ToArray(), NodeSoft = Enumerable.Repeat(1f, job.Masked.Writers).ToArray(),
            };
            double expected = CircuitEvaluator.Evaluate(job.Pruner, masks, examples, 16)["accuracy"];
            Assert.Equal(expected, p.Accuracy, 12);
        }
        var accuracies = result.Methods.SelectMany(m => m.Points).Select(p => p.Accuracy).ToArray();
        Assert.All(accuracies, a => Assert.InRange(a, 0, 1));
        Assert.True(accuracies.Distinct().Count() > 1, "every circuit scored the same accuracy");
        Assert.All(result.Methods.SelectMany(m => m.Points), p => Assert.True(double.IsNaN(p.TrainedSparsity), "only Edge Pruning trains"));
    }

    [SharedFact]
    public void EveryScoredCircuit_IsWrittenToTheCircuitsFolder_AndScoresAsItsPointWhenReadBack()
    {
        using var dir = new TempDirectory();
        var job = Job();
        var options = Options with { Methods = ["ep", "eap"], Sizes = [4, 7], EpSteps = 30, EvaluationExamples = 32 };
        var result = new SweepRunner(job, options) { CircuitsFolder = dir.File("circuits") }.Run();
        var examples = job.Task.Test.Take(32).ToArray();
        var points = result.Methods.SelectMany(m => m.Points).ToArray();
        Assert.Equal(points.Length, Directory.GetFiles(dir.File("circuits"), "*.json").Length);
        foreach (var p in points)
        {
            var circuit = CircuitJson.Read(Path.Combine(dir.File("circuits"), SweepRunner.CircuitFileName(p.Method, p.Setting)), job.Masked.Graph);
            Assert.Equal(p.Edges, circuit.KeptEdgeCount);
            Assert.Equal(p.Kl, circuit.Metrics["kl"], 12);
            Assert.Equal(!double.IsNaN(p.Accuracy), circuit.Metrics.ContainsKey("accuracy"));
            double kl = CircuitEvaluator.Evaluate(job.Pruner, CircuitMasks.FromCircuit(job.Masked.Layout, circuit), examples, 16)["kl"];
            Assert.Equal(p.Kl, kl, 9);
        }
        Assert.Equal("ep-N-106-reached.json", SweepRunner.CircuitFileName("ep", "N=106 reached"));
        Assert.Equal("ep-t-0.95.json", SweepRunner.CircuitFileName("ep", "t=0.95"));
        // Edge Pruning's files carry its soft masks, not only 0 and 1.
        var ep = CircuitJson.Read(Path.Combine(dir.File("circuits"), "ep-N-7.json"), job.Masked.Graph);
        Assert.Contains(ep.Edges, e => e.Mask is > 0 and < 1);
    }

    [SharedFact]
    public void AnEdgePruningRunTooShortToReachItsSize_SaysSoInItsTrainedSparsity()
    {
        // One step from log α ≈ 10 leaves every soft mask near 1: sparsity near 0, far below the 4-edge target.
        var messages = new List<string>();
        var shortRun = new SweepRunner(Job(), Options with { Methods = ["ep"], Sizes = [4], EpSteps = 1 }) { Progress = (_, m) => messages.Add(m) }
            .Run().Methods[0].Points[0];
        Assert.InRange(shortRun.TrainedSparsity, 0, 0.05);
        Assert.Contains(messages, m => m.StartsWith("N=4:", StringComparison.Ordinal) && m.Contains("short of its target"));
        // The recipe's run gets there at the ground truth's 7 edges.
        var job = Job();
        messages.Clear();
        var full = new SweepRunner(job, Options with { Methods = ["ep"], Sizes = [7], EpSteps = null }) { Progress = (_, m) => messages.Add(m) }
            .Run().Methods[0].Points[0];
        Assert.InRange(full.TrainedSparsity, 1.0 - 7.0 / job.Masked.EdgeCount - SweepRunner.ShortOfTarget, 1);
        Assert.DoesNotContain(messages, m => m.Contains("short of its target"));
    }

    [Fact]
    public void APointsFileOfEightColumns_IsReadWithoutAccuracy_AndTenColumnsRoundTrip()
    {
        string file = Path.Combine(Path.GetTempPath(), $"points-{Guid.NewGuid():N}.csv");
        try
        {
            File.WriteAllLines(file, ["method,setting,edges,edge_fraction,kl,metric,faithfulness,seconds", "eap,N=5,5,0.1,0.25,1.5,0.75,0"]);
            var old = SweepPoints.Read(file)[("eap", "N=5")];
            Assert.Equal((5L, 0.25, 0.75), (old.Edges, old.Kl, old.Faithfulness));
            Assert.True(double.IsNaN(old.Accuracy) && double.IsNaN(old.TrainedSparsity));

            // A point appended to it brings the old lines to the new columns first, so every line matches the header.
            var p = new SweepPoint("ep", "N=7", 7, 0.2, 0.125, 2.5, 0.875, 3.5, 0.625, 0.8125);
            SweepPoints.Append(file, p);
            var lines = File.ReadAllLines(file);
            Assert.Equal([SweepPoints.Header, "eap,N=5,5,0.1,0.25,1.5,0.75,0,NaN,NaN"], lines[..2]);
            Assert.Equal(p, SweepPoints.Read(file)[("ep", "N=7")]);
            Assert.Equal(old, SweepPoints.Read(file)[("eap", "N=5")]);
        }
        finally
        {
            File.Delete(file);
        }
    }
    [SharedFact]
    public void ReadOutWhereTheRunEnded_AShortRunKeepsWhatTrainingKept_AndTheAttributionMethodsAreScoredAtThatSize()
    {
        // One step leaves every soft mask near 1, closer together than the threshold's resolution: read out at its size the
        // run keeps at most 4 edges (none, here), read out where it ended nearly all.
        var options = Options with { Methods = ["eap", "ep"], Sizes = [4], EpSteps = 1 };
        var atSize = new SweepRunner(Job(), options).Run();
        var reached = new SweepRunner(Job(), options with { Readout = SweepReadout.Reached }).Run();
        long E = Job().Masked.EdgeCount;
        var ep = reached.Methods.Single(m => m.Method == "ep").Points.Single();
        Assert.Equal("N=4 reached", ep.Setting);
        Assert.InRange(atSize.Methods.Single(m => m.Method == "ep").Points.Single().Edges, 0, 4);
        Assert.InRange(ep.Edges, (1 - ep.TrainedSparsity) * E - 2, (1 - ep.TrainedSparsity) * E + 2);
        Assert.True(ep.Edges > E / 2, $"a one-step run read out where it ended kept {ep.Edges} of {E} edges");
        // EAP keeps its requested size and gains Edge Pruning's, so the comparison has a baseline of the same size.
        Assert.Equal(new[] { 4L, ep.Edges }, reached.Methods.Single(m => m.Method == "eap").Points.Select(p => p.Edges).Order());
        Assert.Equal(new[] { "eap", "ep" }, reached.Methods.Select(m => m.Method)); // the requested order, though ep ran first
        var row = SameSizeComparison.Rows(reached).Single();
        Assert.Equal(("eap", ep.Edges), (row.Baseline, row.Edges));
        Assert.Equal(reached.Methods[0].Points.Single(p => p.Edges == ep.Edges).Kl, row.BaselineKl);
    }

    [SharedFact]
    public void EdgePruningTargets_NameTheirPoints_AndNeedTheReachedReadOut()
    {
        var result = new SweepRunner(Job(), Options with { Methods = ["ep"], Sizes = [], EpSteps = 1, EpTargets = [0.5, 1.1], Readout = SweepReadout.Reached }).Run();
        Assert.Equal(new[] { "t=0.5", "t=1.1" }, result.Methods[0].Points.Select(p => p.Setting));
        var e = Assert.Throws<EdgePruningException>(() => (Options with { EpTargets = [0.5] }).Validate());
        Assert.Contains("reached read-out", e.Message);
        Assert.Throws<EdgePruningException>(() => (Options with { EpTargets = [2.5], Readout = SweepReadout.Reached }).Validate());
        Assert.Throws<EdgePruningException>(() => (Options with { EpTargets = [], Readout = SweepReadout.Reached }).Validate());
    }

    [Fact]
    public void TheSameSizeComparison_TakesTheLowestBaselineKlOfExactlyThatSize()
    {
        static SweepPoint P(string method, long edges, double kl) => new(method, $"N={edges}", edges, edges / 100.0, kl, 0, 0, 0);
        static MethodCurve C(string method, params SweepPoint[] points) => new(method, points, 0, 0, 0);
        var result = new SweepResult("m", "t", "interchange", 100, 1, 1, 1, 0,
        [
            C("eap", P("eap", 10, 0.5), P("eap", 20, 0.2)),
            C("eap-ig", P("eap-ig", 10, 0.3), P("eap-ig", 20, 0.4), P("eap-ig", 42, 0.02) with { Setting = "N=41" }),
            C("acdc", P("acdc", 10, 0.1)),
            C("ep", P("ep", 20, 0.25), P("ep", 10, 0.05), P("ep", 30, 0.01), P("ep", 41, 0.03)),
            C("ep-ig", P("ep-ig", 20, 0.2)),
        ]);
        var rows = SameSizeComparison.Rows(result);
        Assert.Equal(new (string, long, string?, double, bool)[]
            {
                ("ep", 10L, "acdc", 0.1, true), ("ep", 20L, "eap", 0.2, false), ("ep", 30L, null, double.NaN, false), ("ep", 41L, "eap-ig", 0.02, false), ("ep-ig", 20L, "eap", 0.2, true),
            },
            rows.Select(r => (r.Method, r.Edges, r.Baseline, r.BaselineKl, r.AtOrBelow)));
    }
}
