using System.Globalization;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>Compares a candidate's output with the oracle's, element by element, under one tolerance.</summary>
public static class ParityComparison
{
    /// <summary>
    /// Each output under its own tolerance; one check that passes when all do. Its errors are the largest of
    /// the outputs' (the relative ones are each against their own scale), its tolerance that of the output
    /// closest to failing, and its detail names each output that failed.
    /// </summary>
    public static ParityCheck Compare(string name, DType dtype, string shape,
        IReadOnlyList<(string Output, Tensor Expected, Tensor Actual, ParityTolerance Tolerance)> outputs)
    {
        if (outputs.Count == 1) return Compare(name, dtype, shape, outputs[0].Expected, outputs[0].Actual, outputs[0].Tolerance);
        var parts = outputs.Select(o => (o.Output, Check: Compare(name, dtype, shape, o.Expected, o.Actual, o.Tolerance))).ToList();
        bool passed = parts.All(p => p.Check.Passed);
        var worst = passed ? parts.MaxBy(p => Closeness(p.Check)) : parts.First(p => !p.Check.Passed);
        double maxAbs = parts.Aggregate(0.0, (m, p) => Math.Max(m, p.Check.MaxAbsError));
        double maxRel = parts.Aggregate(0.0, (m, p) => Math.Max(m, p.Check.MaxRelError));
        string? detail = passed ? null : string.Join("; ", parts.Where(p => !p.Check.Passed).Select(p => $"{p.Output}: {p.Check.Detail}"));
        return new ParityCheck(name, dtype, shape, passed ? ParityStatus.Passed : ParityStatus.Failed, maxAbs, maxRel, worst.Check.Tolerance, detail);
    }

    /// <summary>How much of its tolerance a passed check used (1 at the limit).</summary>
    private static double Closeness(ParityCheck check) =>
        check.Tolerance.IsExact ? (check.MaxAbsError > 0 ? double.PositiveInfinity : 0)
        : check.MaxRelError / (check.Tolerance.ScalesWithTerms ? check.Tolerance.TermRtol : check.Tolerance.Rtol);

    public static ParityCheck Compare(string name, DType dtype, string shape, Tensor expected, Tensor actual, ParityTolerance tolerance) =>
        Compare(name, dtype, shape, expected, actual, tolerance, default);

    /// <summary>
    /// Compares under a tolerance that may scale with each element's term size (<see cref="ParityTolerance.TermRtol"/>):
    /// <paramref name="termSizes"/> holds, per element, Σ|tᵢ| of the terms the oracle summed into it.
    /// </summary>
    public static ParityCheck Compare(string name, DType dtype, string shape, Tensor expected, Tensor actual, ParityTolerance tolerance,
        ReadOnlySpan<float> termSizes)
    {
        if (expected.Count != actual.Count)
            return new ParityCheck(name, dtype, shape, ParityStatus.Failed, double.NaN, double.NaN, tolerance,
                $"{actual.Count} elements, the oracle has {expected.Count}");
        if (tolerance.ScalesWithTerms && termSizes.Length != expected.Count)
            throw new ArgumentException($"a tolerance scaled by term sizes needs one per element: {termSizes.Length} for {expected.Count} elements");
        var b = expected.Span;
        var a = actual.Span;
        // The relative error is the error against the element's bound, times the tolerance's leading factor: for
        // atol + rtol·|b| that is |a − b| / (|b| + the result's typical size), and for rtol·S it is |a − b| / S, so that an
        // element passes exactly when it is ≤ that factor.
        double factor = tolerance.ScalesWithTerms ? tolerance.TermRtol : tolerance.Rtol;
        double typical = tolerance.Rtol > 0 ? tolerance.Atol / tolerance.Rtol : ParityTolerances.RootMeanSquare(b);
        double maxAbs = 0, maxRel = 0, worstExcess = double.NegativeInfinity;
        int worst = -1, failures = 0;
        for (int i = 0; i < b.Length; i++)
        {
            double terms = tolerance.ScalesWithTerms ? termSizes[i] : 0;
            bool ok = tolerance.Admits(a[i], b[i], terms);
            double diff = Difference(a[i], b[i]);
            double bound = float.IsFinite(b[i]) ? tolerance.Bound(b[i], terms) : 0;
            maxAbs = Math.Max(maxAbs, diff);
            if (diff > 0)
                maxRel = Math.Max(maxRel, factor > 0 && bound > 0 ? factor * diff / bound : diff / (Math.Abs((double)b[i]) + typical));
            double excess = diff - bound;
            if (!ok) failures++;
            if (worst < 0 || excess > worstExcess)
            {
                worstExcess = excess;
                worst = i;
            }
        }
        string? detail = failures == 0 ? null : string.Create(CultureInfo.InvariantCulture,
            $"{failures} of {b.Length} elements outside tolerance; worst at {worst}: got {a[worst]:G9}, expected {b[worst]:G9}")
            + (tolerance.ScalesWithTerms ? string.Create(CultureInfo.InvariantCulture, $" (terms of size {termSizes[worst]:G3})") : "");
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
