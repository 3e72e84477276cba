namespace EdgePruning.Pruning.Sweep;

/// <summary>One circuit of a sweep, scored on the evaluation examples.</summary>
/// <param name="Setting">What produced it: the requested size, or ACDC's threshold.</param>
/// <param name="Seconds">Time to find this circuit (for EAP and EAP-IG the attribution run is shared by every size and counted once, in the method's total).</param>
/// <param name="Accuracy">The circuit's task accuracy (NaN for a task without one).</param>
/// <param name="TrainedSparsity">
/// Edge Pruning only (NaN otherwise): the sparsity of the deterministic soft masks when training ended (1 − their mean).
/// Well below the target 1 − N/E the run did not reach its size, and the binarization chose N of more edges that
/// training left nearly equal.
/// </param>
public sealed record SweepPoint(string Method, string Setting, long Edges, double EdgeFraction, double Kl, double Metric,
    double Faithfulness, double Seconds, double Accuracy = double.NaN, double TrainedSparsity = double.NaN);

/// <summary>A method's curve and its summaries.</summary>
/// <param name="Seconds">Total discovery time of the method (attribution or training or search, not evaluation).</param>
public sealed record MethodCurve(string Method, IReadOnlyList<SweepPoint> Points, double Cpr, double Cmd, double Seconds);

/// <summary>Everything a sweep measured.</summary>
public sealed record SweepResult(string Model, string Task, string Ablation, long TotalEdges, int DiscoveryExamples,
    int EvaluationExamples, double FullMetric, double EmptyMetric, IReadOnlyList<MethodCurve> Methods);
