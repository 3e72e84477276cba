namespace EdgePruning.Kernels;

/// <summary>Scalar definitions of the activations and their derivatives, in double precision.</summary>
public static class ActivationMath
{
    private const double Sqrt2OverPi = 0.7978845608028654;

    public static double Apply(Activation activation, double x) => activation switch
    {
        Activation.GeluErf => 0.5 * x * (1.0 + Erf(x / Math.Sqrt(2.0))),
        Activation.GeluTanh => 0.5 * x * (1.0 + Math.Tanh(Sqrt2OverPi * (x + 0.044715 * x * x * x))),
        Activation.Relu => x > 0 ? x : 0,
        Activation.Silu => x / (1.0 + Math.Exp(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>d act(x) / dx.</summary>
    public static double Derivative(Activation activation, double x)
    {
        switch (activation)
        {
            case Activation.GeluErf:
                return 0.5 * (1.0 + Erf(x / Math.Sqrt(2.0))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2.0 * Math.PI);
            case Activation.GeluTanh:
            {
                double u = Sqrt2OverPi * (x + 0.044715 * x * x * x);
                double t = Math.Tanh(u);
                double du = Sqrt2OverPi * (1.0 + 3 * 0.044715 * x * x);
                return 0.5 * (1.0 + t) + 0.5 * x * (1 - t * t) * du;
            }
            case Activation.Relu:
                return x > 0 ? 1 : 0;
            case Activation.Silu:
            {
                double s = 1.0 / (1.0 + Math.Exp(-x));
                return s * (1 + x * (1 - s));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>erf(x), Abramowitz–Stegun 7.1.26 refined by one Newton step: error below 1e-12.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double sign = x < 0 ? -1 : 1;
        double ax = Math.Abs(x);
        if (ax > 6) return sign;
        // Series for small |x|, continued fraction tail via erfc for large.
        if (ax < 2.5)
        {
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return sign * sum * 2.0 / Math.Sqrt(Math.PI);
        }
        // erfc continued fraction (Lentz), accurate for ax >= 2.5.
        double f = ax, c = ax, d = 0, tiny = 1e-300;
        for (int n = 1; n < 300; n++)
        {
            double an = n / 2.0;
            d = ax + an * d; d = Math.Abs(d) < tiny ? tiny : d; d = 1 / d;
            c = ax + an / c; c = Math.Abs(c) < tiny ? tiny : c;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return sign * (1 - erfc);
    }
}
