using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// How close a candidate element a must come to the oracle's b: |a − b| ≤ <see cref="Atol"/> + <see cref="Rtol"/>·|b|
/// + <see cref="TermRtol"/>·S, where S is the element's own term size (Σ|tᵢ| of the terms tᵢ the oracle summed into b),
/// handed to the comparison beside the values; a sum whose terms cancel may be off by a share of those terms, not of
/// its small value. NaN matches only NaN and an infinity only the same infinity. All three zero means bit-for-bit
/// equal values.
/// </summary>
public readonly record struct ParityTolerance(double Atol, double Rtol, double TermRtol = 0)
{
    public static readonly ParityTolerance Exact = new(0, 0);

    public bool IsExact => Atol == 0 && Rtol == 0 && TermRtol == 0;

    /// <summary>Whether the bound needs each element's term size (<see cref="TermRtol"/> is not zero).</summary>
    public bool ScalesWithTerms => TermRtol != 0;

    /// <summary>Whether <paramref name="actual"/> is close enough to <paramref name="expected"/>, a sum of terms of total size <paramref name="termSize"/>.</summary>
    public bool Admits(float actual, float expected, double termSize = 0)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual)) return float.IsNaN(expected) && float.IsNaN(actual);
        if (float.IsInfinity(expected) || float.IsInfinity(actual)) return actual == expected;
        return Math.Abs((double)actual - expected) <= Bound(expected, termSize);
    }

    /// <summary>The largest |a − b| admitted for an expected value <paramref name="expected"/> of term size <paramref name="termSize"/>.</summary>
    public double Bound(float expected, double termSize = 0) =>
        Atol + Rtol * Math.Abs((double)expected) + TermRtol * termSize;

    public override string ToString()
    {
        if (IsExact) return "exact";
        var parts = new List<string>();
        if (Atol != 0 || !ScalesWithTerms) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Atol:0.0e0}"));
        if (Rtol != 0 || !ScalesWithTerms) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Rtol:0.0e0}·|b|"));
        if (ScalesWithTerms) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{TermRtol:0.0e0}·Σ|t|"));
        return string.Join(" + ", parts);
    }
}
