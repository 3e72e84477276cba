using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The MLP activations in f32 vectors. GELU-erf uses a Taylor series of erf for |z| &lt; 0.5 and
/// Abramowitz–Stegun 7.1.26 for erfc elsewhere (absolute error of erf below 3e-7 in f32); for x &lt; 0
/// it multiplies by erfc directly, and GELU-tanh by a sigmoid, so neither cancels in the negative tail.
/// </summary>
internal static class CpuActivations
{
    private const float InvSqrt2 = 0.70710678118654752f;
    private const float Sqrt2OverPi = 0.7978845608028654f;

    /// <summary>erf(z) for all z: the lanes where |z| &lt; 0.5 take the series.</summary>
    public static Vector512<float> Erf(Vector512<float> z)
    {
        var az = Vector512.Abs(z);
        var fromTail = Vector512.CopySign(Vector512<float>.One - Erfc(az), z);
        return Vector512.ConditionalSelect(Vector512.LessThan(az, Vector512.Create(0.5f)), ErfSeries(z), fromTail);
    }

    /// <summary>erf(z) = z·Σ cₙ z²ⁿ, n ≤ 6: truncation error below 5e-10 for |z| ≤ 0.5.</summary>
    private static Vector512<float> ErfSeries(Vector512<float> z)
    {
        var z2 = z * z;
        var p = Vector512.FusedMultiplyAdd(z2, Vector512.Create(0.00012055332981789664f), Vector512.Create(-0.0008548327023450852f));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(0.005223977625442188f));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(-0.026866170645131252f));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(0.11283791670955126f));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(-0.37612638903183754f));
        p = Vector512.FusedMultiplyAdd(z2, p, Vector512.Create(1.1283791670955126f));
        return z * p;
    }

    /// <summary>erfc(a) for a ≥ 0 by Abramowitz–Stegun 7.1.26 (absolute error ≤ 1.5e-7).</summary>
    private static Vector512<float> Erfc(Vector512<float> a)
    {
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(Vector512.Create(0.3275911f), a, Vector512<float>.One);
        var p = Vector512.FusedMultiplyAdd(t, Vector512.Create(1.061405429f), Vector512.Create(-1.453152027f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(1.421413741f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(-0.284496736f));
        p = Vector512.FusedMultiplyAdd(t, p, Vector512.Create(0.254829592f));
        return p * t * Vector512.Exp(-(a * a));
    }

    /// <summary>1/(1+e^(−x)); saturates to 0 or 1 without NaN.</summary>
    public static Vector512<float> Sigmoid(Vector512<float> x)
        => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));

    internal readonly struct GeluErf : IUnaryOperator
    {
        public static Vector512<float> Invoke(Vector512<float> x)
        {
            return x * 0.5f * OnePlusErf(x * InvSqrt2);
        }
    }

    /// <summary>1 + erf(z) without cancellation for z &lt; 0: 2 − erfc(|z|) for z ≥ 0, erfc(|z|) for z &lt; 0, the series near 0.</summary>
    public static Vector512<float> OnePlusErf(Vector512<float> z)
    {
        var az = Vector512.Abs(z);
        var erfc = Erfc(az);
        var onePlusErf = Vector512.ConditionalSelect(Vector512.LessThan(z, Vector512<float>.Zero), erfc, Vector512.Create(2f) - erfc);
        return Vector512.ConditionalSelect(Vector512.LessThan(az, Vector512.Create(0.5f)), Vector512<float>.One + ErfSeries(z), onePlusErf);
    }

    internal readonly struct GeluTanh : IUnaryOperator
    {
        // 0.5·x·(1 + tanh u) = x·sigmoid(2u).
        public static Vector512<float> Invoke(Vector512<float> x)
        {
            var u = x * Sqrt2OverPi * Vector512.FusedMultiplyAdd(x * x, Vector512.Create(0.044715f), Vector512<float>.One);
            return x * Sigmoid(u + u);
        }
    }

    internal readonly struct Relu : IUnaryOperator
    {
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
    }

    internal readonly struct Silu : IUnaryOperator
    {
        public static Vector512<float> Invoke(Vector512<float> x) => x * Sigmoid(x);
    }

    /// <summary>silu(gate)·up.</summary>
    internal readonly struct SwiGlu : IBinaryOperator
    {
        public static Vector512<float> Invoke(Vector512<float> gate, Vector512<float> up) => gate * Sigmoid(gate) * up;
    }
}
