using EdgePruning.Kernels.Recording;
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
    /// <summary>The kernel launches of one step (the first one run).</summary>
    public required LaunchSummary LaunchesPerStep { get; init; }

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
