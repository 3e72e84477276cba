using System.Diagnostics;
using EdgePruning.Pruning.Baselines;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Sweep;

/// <summary>What a sweep runs.</summary>
public sealed record SweepOptions
{
    /// <summary>"ep-ig" is Edge Pruning started at each size from EAP-IG's ranking (<see cref="WarmStart"/>), the target held from step 0.</summary>
    public static readonly string[] AllMethods = ["ep", "eap", "eap-ig", "acdc", "ep-ig"];
    /// <summary>Whether <paramref name="method"/> is one of the Edge Pruning methods (ep, ep-ig) rather than a baseline.</summary>
    public static bool IsEdgePruning(string method) => method is "ep" or "ep-ig";
    /// <summary>MIB's circuit sizes, as fractions of the graph's edges.</summary>
    public static readonly double[] MibSizes = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

    public IReadOnlyList<string> Methods { get; init; } = ["ep", "eap", "eap-ig", "acdc"];
    /// <summary>Circuit sizes: values below 1 are fractions of the edges, values of 1 or more edge counts (1 itself is one edge).</summary>
    public IReadOnlyList<double> Sizes { get; init; } = MibSizes;
    /// <summary>Edge Pruning steps per size (null: the task's recipe).</summary>
    public int? EpSteps { get; init; }
    /// <summary>Edge Pruning's sparsity warm-up in steps (null: the recipe's share of <see cref="EpSteps"/>; a warm start holds the target from step 0).</summary>
    public int? EpSparsityWarmup { get; init; }
    /// <summary>Edge Pruning's learning-rate warm-up in steps (null: the recipe's share of <see cref="EpSteps"/>).</summary>
    public int? EpLrWarmup { get; init; }
    public int IgSteps { get; init; } = EapIg.DefaultSteps;
    /// <summary>ACDC runs once per threshold; each run yields one circuit of whatever size it finds.</summary>
    public IReadOnlyList<double> AcdcThresholds { get; init; } = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3];
    /// <summary>ACDC trials scored per masked forward (1: one forward per trial; 0: chosen by memory, <see cref="Baselines.AcdcCandidates"/>); the same circuits either way.</summary>
    public int AcdcCandidatesPerForward { get; init; } = 1;
    /// <summary>At most this many training examples find circuits (attribution, ACDC; Edge Pruning trains on the whole split).</summary>
    public int? DiscoveryExamples { get; init; }
    /// <summary>At most this many test examples score them.</summary>
    public int? EvaluationExamples { get; init; }
    public int Batch { get; init; } = 32;
    /// <summary>Where Edge Pruning's masks are binarized (<see cref="SweepReadout"/>).</summary>
    public SweepReadout Readout { get; init; } = SweepReadout.Size;
    /// <summary>
    /// Edge Pruning's target edge sparsities, one run each, instead of 1 − N/E of each size; only with
    /// <see cref="SweepReadout.Reached"/>. Values above 1 push for the sparsest circuit, as the paper's sweeps do.
    /// </summary>
    public IReadOnlyList<double>? EpTargets { get; init; }

    public void Validate()
    {
        foreach (var m in Methods)
            if (!AllMethods.Contains(m)) throw new EdgePruningException($"unknown method '{m}' (expected {string.Join(", ", AllMethods)})");
        if (Sizes.Count == 0 && EpTargets is null && Methods.Any(m => m != "acdc")) throw new EdgePruningException("no circuit sizes given");
        if (AcdcCandidatesPerForward < 0) throw new EdgePruningException($"--acdc-candidates must be ≥ 0 (0: chosen by memory), got {AcdcCandidatesPerForward}");
        foreach (var s in Sizes)
            if (!(s > 0)) throw new EdgePruningException($"circuit size {s} must be positive");
        if (IgSteps < 1) throw new EdgePruningException($"EAP-IG needs at least one step, got {IgSteps}");
        if (EpSteps is < 1) throw new EdgePruningException($"Edge Pruning needs at least one step, got {EpSteps}");
        if (EpSparsityWarmup is < 0 || EpLrWarmup is < 0) throw new EdgePruningException("warm-up steps must be ≥ 0");
        if (Batch < 1) throw new EdgePruningException($"batch must be positive, got {Batch}");
        if (EpTargets is not null)
        {
            if (Readout != SweepReadout.Reached)
                throw new EdgePruningException("Edge Pruning targets are read out where each run ends: they need the reached read-out");
            if (EpTargets.Count == 0) throw new EdgePruningException("no Edge Pruning targets given");
            foreach (var t in EpTargets)
                if (!(t > 0 && t <= 2)) throw new EdgePruningException($"target sparsity {t} must be in (0, 2]");
        }
    }

    /// <summary>Edge Pruning's runs, (setting, target sparsity), for a graph of <paramref name="total"/> edges.</summary>
    public IEnumerable<(string Setting, double Target)> EpRuns(long total) => EpTargets is { } targets
        ? targets.Select(t => ($"t={t.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}", t))
        : EdgeCounts(total).Select(n => (Readout == SweepReadout.Reached ? $"N={n} reached" : $"N={n}", 1.0 - (double)n / total));

    /// <summary>The sizes as distinct edge counts in [1, total], ascending.</summary>
    public long[] EdgeCounts(long total) => Sizes
        .Select(s => s < 1 ? (long)Math.Round(s * total) : (long)Math.Round(s))
        .Select(n => Math.Clamp(n, 1, total)).Distinct().Order().ToArray();
}

/// <summary>
/// Finds circuits with each method at each size on one model and task, scores every circuit (without its dangling
/// edges, <see cref="Circuits.DanglingEdges"/>) on the same evaluation examples (KL and MIB faithfulness, <see cref="FaithfulnessCurve"/>), and summarizes each
/// method's curve by CPR and CMD. Edge Pruning trains once per size with target sparsity 1 − N/E (or once per
/// given target) and is read out at exactly N edges, or where training ended (<see cref="SweepReadout"/>); EAP and
/// EAP-IG score edges once and take the top N (<see cref="AttributionCircuit"/>), at Edge Pruning's reached sizes
/// too when it is read out there; ACDC runs once per threshold.
/// </summary>
public sealed class SweepRunner(PruningJob job, SweepOptions options)
{
    /// <summary>How far below its target sparsity an Edge Pruning run may end before its point says it fell short.</summary>
    public const double ShortOfTarget = 0.02;

    /// <summary>Reports (method, message) as the sweep goes.</summary>
    public Action<string, string>? Progress { get; init; }

    /// <summary>
    /// A file each finished point is appended to as soon as it is scored (<see cref="SweepPoints"/>); a sweep started
    /// again with the same file takes the points already there and computes only the others. Null: none.
    /// </summary>
    public string? PointsFile { get; init; }

    /// <summary>
    /// A folder that receives every scored circuit as <c>&lt;method&gt;-&lt;setting&gt;.json</c> (the circuit file of
    /// <c>prune</c>, without dangling edges, its metrics those of the sweep's scoring), for <c>eval</c>, <c>compare</c> or
    /// <c>view</c>. Null: none.
    /// </summary>
    public string? CircuitsFolder { get; init; }

    public SweepResult Run()
    {
        options.Validate();
        var discovery = Take(job.Task.Train, options.DiscoveryExamples);
        var evaluation = Take(job.Task.Test, options.EvaluationExamples);
        // On a device the batches hold their baselines there until disposed.
        using var evaluationBatches = new TaskBatches(job.Pruner, evaluation, options.Batch);
        Lazy<TaskBatches> discoveryBatches = new(() => new TaskBatches(job.Pruner, discovery, options.Batch));
        try
        {
            return Run(new CircuitScorer(evaluationBatches), discoveryBatches, discovery.Count, evaluation.Count);
        }
        finally
        {
            if (discoveryBatches.IsValueCreated) discoveryBatches.Value.Dispose();
        }
    }

    private SweepResult Run(CircuitScorer scorer, Lazy<TaskBatches> discoveryBatches, int discoveryCount, int evaluationCount)
    {
        var task = job.Task;
        long E = job.Masked.EdgeCount;
        var sizes = options.EdgeCounts(E);
        var done = PointsFile is null ? new Dictionary<(string, string), SweepPoint>() : SweepPoints.Read(PointsFile);

        var curves = new Dictionary<string, MethodCurve>();
        // EAP-IG's scores serve the eap-ig curve and the warm start of ep-ig; computed once, when first needed.
        float[]? igScores = null;
        double igSeconds = 0;
        float[] IgScores()
        {
            if (igScores is null)
            {
                var t = Stopwatch.StartNew();
                igScores = EapIg.Scores(discoveryBatches.Value, options.IgSteps);
                igSeconds = t.Elapsed.TotalSeconds;
            }
            return igScores;
        }
        // Read out where training ended, Edge Pruning goes first, so that the attribution methods are scored at its sizes too.
        bool reached = options.Readout == SweepReadout.Reached;
        var order = reached ? options.Methods.OrderBy(m => SweepOptions.IsEdgePruning(m) ? 0 : 1).ToArray() : options.Methods.ToArray();
        foreach (var method in order)
        {
            var points = new List<SweepPoint>();
            var clock = Stopwatch.StartNew();
            double discoverySeconds = 0;
            SweepPoint Point(string setting, bool[] found, double seconds, double trainedSparsity = double.NaN, double target = double.NaN,
                float[]? soft = null)
            {
                // Every method's circuit is counted and scored without its dangling edges, as the attribution circuits always were.
                var kept = AttributionCircuit.Pruned(job.Masked.Layout, found);
                var s = scorer.Score(kept, accuracy: true);
                long n = AttributionCircuit.Count(kept);
                var p = new SweepPoint(method, setting, n, (double)n / E, s.Kl, s.Metric, scorer.Faithfulness(s.Metric), seconds,
                    s.Accuracy, trainedSparsity);
                string trained = double.IsNaN(trainedSparsity) ? "" : $", trained to sparsity {trainedSparsity:F4}";
                if (!reached && trainedSparsity < target - ShortOfTarget)
                    trained += $", short of its target {target:F4}: the binarization cut edges that training kept";
                Progress?.Invoke(method, $"{setting}: {n} edges, KL {s.Kl:G4}, faithfulness {p.Faithfulness:F3}{trained}");
                if (PointsFile is not null) SweepPoints.Append(PointsFile, p);
                if (CircuitsFolder is not null) WriteCircuit(p, kept, soft);
                return p;
            }
            // A point of an earlier run of this sweep: taken as it was.
            bool Reuse(string setting)
            {
                if (!done.TryGetValue((method, setting), out var p)) return false;
                points.Add(p);
                discoverySeconds += p.Seconds;
                Progress?.Invoke(method, $"{setting}: {p.Edges} edges, KL {p.Kl:G4} (from {PointsFile})");
                return true;
            }
            switch (method)
            {
                case "eap":
                case "eap-ig":
                {
                    var counts = reached
                        ? sizes.Concat(curves.Values.Where(c => SweepOptions.IsEdgePruning(c.Method)).SelectMany(c => c.Points).Select(p => p.Edges))
                            .Where(n => n >= 1).Distinct().Order().ToArray()
                        : sizes;
                    if (counts.All(n => done.ContainsKey((method, $"N={n}"))))
                    {
                        foreach (long n in counts) Reuse($"N={n}");
                        break;
                    }
                    var t = Stopwatch.StartNew();
                    var scores = method == "eap" ? Eap.Scores(discoveryBatches.Value) : IgScores();
                    discoverySeconds = method == "eap" ? t.Elapsed.TotalSeconds : igSeconds;
                    foreach (long n in counts)
                        if (!Reuse($"N={n}")) points.Add(Point($"N={n}", AttributionCircuit.TopN(job.Masked.Layout, scores, n), 0));
                    break;
                }
                case "acdc":
                {
                    var acdcScorer = new CircuitScorer(discoveryBatches.Value);
                    foreach (double tau in options.AcdcThresholds)
                    {
                        if (Reuse($"tau={tau:G3}")) continue;
                        var t = Stopwatch.StartNew();
                        var r = Acdc.Run(acdcScorer, tau, candidatesPerForward: options.AcdcCandidatesPerForward);
                        double sec = t.Elapsed.TotalSeconds;
                        discoverySeconds += sec;
                        points.Add(Point($"tau={tau:G3}", r.Kept, sec));
                    }
                    break;
                }
                case "ep":
                case "ep-ig":
                    foreach (var (setting, target) in options.EpRuns(E))
                    {
                        if (Reuse(setting)) continue;
                        var t = Stopwatch.StartNew();
                        // A warm start's attribution run is counted once, with its first size.
                        var warm = method == "ep-ig" ? IgScores() : null;
                        var masks = TrainEdgePruning(target, reached ? null : target, warm);
                        double sec = t.Elapsed.TotalSeconds;
                        discoverySeconds += sec;
                        points.Add(Point(setting, masks.EdgeKept, sec, masks.SoftSparsity, target, masks.EdgeSoft));
                    }
                    break;
            }
            var curve = points.Select(p => new CurvePoint(p.EdgeFraction, p.Faithfulness)).ToArray();
            curves[method] = new MethodCurve(method, points, FaithfulnessCurve.Cpr(curve), FaithfulnessCurve.Cmd(curve), discoverySeconds);
            Progress?.Invoke(method, $"done in {clock.Elapsed.TotalSeconds:F1} s");
        }
        return new SweepResult(job.ModelId, task.Name, job.Options.Ablation.Name(), E, discoveryCount, evaluationCount,
            scorer.FullMetric, scorer.EmptyMetric, options.Methods.Select(m => curves[m]).ToArray());
    }

    /// <summary>
    /// Writes a scored circuit into <see cref="CircuitsFolder"/>: its kept edges (dangling ones removed) with Edge Pruning's
    /// soft masks where given (else 1 for a kept edge, 0 for the others), and the sweep's scores as its metrics.
    /// </summary>
    private void WriteCircuit(SweepPoint p, bool[] kept, float[]? soft)
    {
        var layout = job.Masked.Layout;
        var circuit = Circuit.FromMasks(layout.Graph,
            (r, w) => soft is null ? (kept[layout.Offset(r) + w] ? 1 : 0) : soft[layout.Offset(r) + w],
            (r, w) => kept[layout.Offset(r) + w], modelId: job.ModelId) with
        {
            Task = job.Task.Name,
            Ablation = job.Options.Ablation.Name(),
            Metrics = new Dictionary<string, double>
            {
                ["kl"] = p.Kl, ["metric"] = p.Metric, ["faithfulness"] = p.Faithfulness, ["accuracy"] = p.Accuracy, ["edges"] = p.Edges,
            }.Where(m => !double.IsNaN(m.Value)).ToDictionary(), // a task without accuracy (GT, a scalar output) has none
            WallTimeSeconds = p.Seconds,
        };
        Directory.CreateDirectory(CircuitsFolder!);
        CircuitJson.Write(circuit, Path.Combine(CircuitsFolder!, CircuitFileName(p.Method, p.Setting)));
    }

    /// <summary>The file name of a point's circuit in <see cref="CircuitsFolder"/>: "ep", "N=106 reached" → ep-N-106-reached.json.</summary>
    public static string CircuitFileName(string method, string setting) =>
        $"{method}-{string.Concat(setting.Select(c => char.IsLetterOrDigit(c) || c is '.' or '-' ? c : '-'))}.json";

    /// <summary>
    /// Edge Pruning at <paramref name="targetSparsity"/> with the job's recipe (steps overridable), binarized at
    /// <paramref name="readAt"/> (null: the soft masks' own sparsity, where training ended), from the usual
    /// initialization or from <paramref name="warmStart"/> scores (the target then holds from step 0). The masks'
    /// <see cref="CircuitMasks.SoftSparsity"/> is where an unforced binarization cuts.
    /// </summary>
    private CircuitMasks TrainEdgePruning(double targetSparsity, double? readAt, float[]? warmStart)
    {
        var o = job.Options;
        int steps = options.EpSteps ?? o.Steps;
        var scaled = o.WithSteps(steps);
        var tuned = scaled with
        {
            TargetEdgeSparsity = targetSparsity,
            SparsityWarmupSteps = warmStart is not null ? 0 : Math.Min(steps, options.EpSparsityWarmup ?? scaled.SparsityWarmupSteps),
            LrWarmupSteps = Math.Min(steps, options.EpLrWarmup ?? scaled.LrWarmupSteps),
            CheckpointEvery = 0,
        };
        var pruner = new EdgePruner(job.Masked, job.Task, tuned);
        if (warmStart is not null) WarmStart.Apply(pruner.State, warmStart, targetSparsity);
        while (pruner.StepsDone < steps) pruner.Step();
        return CircuitMasks.From(job.Masked.Layout, pruner.State, tuned.NodeMasks, readAt);
    }

    private static IReadOnlyList<T> Take<T>(IReadOnlyList<T> list, int? limit) => limit is { } k && k < list.Count ? list.Take(k).ToArray() : list;
}
