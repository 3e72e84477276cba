using System.Globalization;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>Compares a candidate's output with the oracle's, element by element, under one tolerance.</summary>
public static class ParityComparison
{
    public static ParityCheck Compare(string name, DType dtype, string shape, Tensor expected, Tensor actual, ParityTolerance tolerance)
    {
        if (expected.Count != actual.Count)
            return new ParityCheck(name, dtype, shape, ParityStatus.Failed, double.NaN, double.NaN, tolerance,
                $"{actual.Count} elements, the oracle has {expected.Count}");
        var b = expected.Span;
        var a = actual.Span;
        // The relative error is taken against |b| + the result's typical size, so that it is ≤ rtol exactly when an element passes.
        double scale = tolerance.Rtol > 0 ? tolerance.Atol / tolerance.Rtol : ParityTolerances.RootMeanSquare(b);
        double maxAbs = 0, maxRel = 0, worstExcess = double.NegativeInfinity;
        int worst = -1, failures = 0;
        for (int i = 0; i < b.Length; i++)
        {
            bool ok = tolerance.Admits(a[i], b[i]);
            double diff = Difference(a[i], b[i]);
            maxAbs = Math.Max(maxAbs, diff);
            maxRel = Math.Max(maxRel, diff == 0 ? 0 : diff / (Math.Abs((double)b[i]) + scale));
            double bound = float.IsFinite(b[i]) ? tolerance.Atol + tolerance.Rtol * Math.Abs((double)b[i]) : 0;
            double excess = diff - bound;
            if (!ok) failures++;
            if (worst < 0 || excess > worstExcess)
            {
                worstExcess = excess;
                worst = i;
            }
        }
        string? detail = failures == 0 ? null : string.Create(CultureInfo.InvariantCulture,
            $"{failures} of {b.Length} elements outside tolerance; worst at {worst}: got {a[worst]:G9}, expected {b[worst]:G9}");
        return new ParityCheck(name, dtype, shape, failures == 0 ? ParityStatus.Passed : ParityStatus.Failed, maxAbs, maxRel, tolerance, detail);
    }

    /// <summary>|a − b|, with 0 for matching NaNs or infinities and ∞ for any other mismatch involving them.</summary>
    private static double Difference(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return float.IsNaN(a) && float.IsNaN(b) ? 0 : double.PositiveInfinity;
        if (float.IsInfinity(a) || float.IsInfinity(b)) return a == b ? 0 : double.PositiveInfinity;
        return Math.Abs((double)a - b);
    }
}
