namespace EdgePruning.Kernels.Training;

/// <summary>The hard-concrete constants of Edge Pruning's l0.py and the stretched sample every implementation shares.</summary>
public static class HardConcreteMath
{
    public const double Left = -0.1;
    public const double Right = 1.1;
    public const double Beta = 2.0 / 3.0;

    /// <summary>l + (r−l)·s with s = σ((log u − log(1−u) + logα)/β), before the clamp.</summary>
    public static double Stretched(float logAlpha, float u, out double s)
    {
        s = Sigmoid((Math.Log(u) - Math.Log(1.0 - u) + logAlpha) / Beta);
        return Left + (Right - Left) * s;
    }

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
