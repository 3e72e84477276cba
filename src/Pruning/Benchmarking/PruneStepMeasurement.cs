using EdgePruning.Kernels.Recording;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>What a <see cref="PruneStepBenchmark"/> measured over its timed steps.</summary>
public sealed record PruneStepMeasurement
{
    /// <summary>Wall time of each timed step, in order.</summary>
    public required IReadOnlyList<double> StepMilliseconds { get; init; }
    /// <summary>Tokens of one step (batch × sequence length).</summary>
    public required long TokensPerStep { get; init; }
    /// <summary>The step arena's high-water mark and the process's peak resident memory after the steps.</summary>
    public required MeasuredPeak Peak { get; init; }
    /// <summary>The kernel launches of one step (the first one run), of every kernel set.</summary>
    public required LaunchSummary LaunchesPerStep { get; init; }
    /// <summary>
    /// Whether the second step issued the same launches as the first (kinds, shapes, dtypes, scalars), which one
    /// captured CUDA graph standing for every step needs; null when only one step was recorded.
    /// </summary>
    public bool? LaunchesRepeat { get; init; }
    /// <summary>When they did not repeat: the first launch that differed, and how.</summary>
    public string? LaunchDifference { get; init; }
    /// <summary>Whether the steps read through the fused masked read.</summary>
    public bool FusedReads { get; init; }
    /// <summary>Whether the steps recomputed each layer in the backward.</summary>
    public bool Recompute { get; init; }
    /// <summary>Whether the steps ran through a captured graph (<see cref="PruneStepSettings.CaptureSteps"/>).</summary>
    public bool CaptureSteps { get; init; }
    /// <summary>With <see cref="CaptureSteps"/>: captures, graph launches and the graph's operations over the run, and why steps ran directly if they did.</summary>
    public StepGraphUse? Graph { get; init; }
    /// <summary>The masked reads of one step's passes (corrupted run included), forward, each timed on its own.</summary>
    public ReadTraffic ReadsForward { get; init; } = ReadTraffic.None;
    /// <summary>The backward of the masked reads of that step.</summary>
    public ReadTraffic ReadsBackward { get; init; } = ReadTraffic.None;

    public double MedianMilliseconds => Quantile(0.5);
    public double MinMilliseconds => StepMilliseconds.Min();
    public double MaxMilliseconds => StepMilliseconds.Max();
    public double TokensPerSecond => TokensPerStep / (MedianMilliseconds / 1000);

    /// <summary>The <paramref name="q"/>-quantile of the step times (the middle pair's mean for the median of an even count).</summary>
    public double Quantile(double q)
    {
        var sorted = StepMilliseconds.Order().ToArray();
        double at = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
