namespace EdgePruning.Pruning.Evaluation;

/// <summary>One measured circuit of a curve: its share of the graph's edges and its faithfulness.</summary>
public readonly record struct CurvePoint(double EdgeFraction, double Faithfulness);

/// <summary>
/// Faithfulness curves and their two summaries as the MIB benchmark defines them (Mueller et al. 2025,
/// "MIB: A Mechanistic Interpretability Benchmark", §circuit localization): a circuit C's faithfulness is
/// f(C) = (m(C) − m(∅)) / (m(full) − m(∅)) for the task metric m, measured at several circuit sizes;
/// CPR (circuit performance ratio) is the area under f over the size axis (higher is better) and CMD
/// (circuit–model difference) the area under |1 − f| (lower is better; 0 means every size matches the model).
/// <para>
/// Exactly what is computed here: the size axis is the fraction of the graph's edges kept, in [0, 1]; the
/// two points that hold by definition, (0, 0) for the empty circuit and (1, 1) for the full model, are
/// added when the measured points do not contain those sizes; the areas are the trapezoid rule over the
/// points sorted by size (|1 − f| is interpolated linearly between its values at the points, not split
/// where f crosses 1). Both areas therefore cover the whole axis and compare across methods whose circuits
/// have different sizes.
/// </para>
/// </summary>
public static class FaithfulnessCurve
{
    public static double Faithfulness(double metric, double full, double empty)
    {
        double span = full - empty;
        return span == 0 ? double.NaN : (metric - empty) / span;
    }

    /// <summary>The points with the definitional end points added, sorted by size; points with NaN faithfulness are dropped.</summary>
    public static IReadOnlyList<CurvePoint> Complete(IEnumerable<CurvePoint> points)
    {
        var list = points.Where(p => double.IsFinite(p.Faithfulness) && double.IsFinite(p.EdgeFraction)).ToList();
        foreach (var p in list)
            if (p.EdgeFraction is < 0 or > 1)
                throw new ArgumentException($"edge fraction {p.EdgeFraction} is outside [0, 1]", nameof(points));
        if (!list.Any(p => p.EdgeFraction == 0)) list.Add(new CurvePoint(0, 0));
        if (!list.Any(p => p.EdgeFraction == 1)) list.Add(new CurvePoint(1, 1));
        return list.OrderBy(p => p.EdgeFraction).ToList();
    }

    /// <summary>Area under f over the edge fraction (MIB's CPR).</summary>
    public static double Cpr(IEnumerable<CurvePoint> points) => Area(Complete(points), f => f);

    /// <summary>Area under |1 − f| over the edge fraction (MIB's CMD).</summary>
    public static double Cmd(IEnumerable<CurvePoint> points) => Area(Complete(points), f => Math.Abs(1 - f));

    private static double Area(IReadOnlyList<CurvePoint> p, Func<double, double> y)
    {
        double area = 0;
        for (int i = 1; i < p.Count; i++)
            area += (p[i].EdgeFraction - p[i - 1].EdgeFraction) * (y(p[i].Faithfulness) + y(p[i - 1].Faithfulness)) / 2;
        return area;
    }
}
