using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// How close a candidate element a must come to the oracle's b: |a − b| ≤ <see cref="Atol"/> + <see cref="Rtol"/>·|b|.
/// NaN matches only NaN and an infinity only the same infinity. Zero for both terms means bit-for-bit equal values.
/// </summary>
public readonly record struct ParityTolerance(double Atol, double Rtol)
{
    public static readonly ParityTolerance Exact = new(0, 0);

    public bool IsExact => Atol == 0 && Rtol == 0;

    public bool Admits(float actual, float expected)
    {
        if (float.IsNaN(expected) || float.IsNaN(actual)) return float.IsNaN(expected) && float.IsNaN(actual);
        if (float.IsInfinity(expected) || float.IsInfinity(actual)) return actual == expected;
        return Math.Abs((double)actual - expected) <= Atol + Rtol * Math.Abs((double)expected);
    }

    public override string ToString() => IsExact
        ? "exact"
        : string.Create(CultureInfo.InvariantCulture, $"{Atol:0.0e0} + {Rtol:0.0e0}·|b|");
}
