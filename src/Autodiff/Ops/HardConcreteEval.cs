namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// The deterministic masks of evaluation (CoFi's rule, kept by Edge Pruning): per parameter tensor,
/// the expected number of zeros n0 = round(Σ P(z=0)) decides how many entries are zeroed, and the rest
/// keep the soft value σ(0.8·log α/β). A global threshold τ then binarizes the soft masks.
/// </summary>
public static class HardConcreteEval
{
    /// <summary>The 0.8 of l0.py that sharpens the soft mask at evaluation.</summary>
    public const double SoftFactor = 0.8;

    /// <summary>How close the bisection brings τ to its final value.</summary>
    public const double ThresholdResolution = 1e-5;

    /// <summary>
    /// β·log(−l/r): the logit of the stretched distribution at z = 0. The spec writes it as
    /// β·logit(−l/(r−l)); the two are equal since logit(a/(a+b)) = log(a/b).
    /// </summary>
    public static readonly double ZeroLogit = HardConcreteOp.Beta * Math.Log(-HardConcreteOp.Left / HardConcreteOp.Right);

    /// <summary>P(z = 0) = σ(β·log(−l/r) − log α).</summary>
    public static double ProbabilityZero(float logAlpha) => HardConcreteOp.Sigmoid(ZeroLogit - logAlpha);

    /// <summary>σ(0.8·log α/β), the value an entry keeps when it is not zeroed.</summary>
    public static float Soft(float logAlpha) => (float)HardConcreteOp.Sigmoid(SoftFactor * logAlpha / HardConcreteOp.Beta);

    /// <summary>
    /// The evaluation mask of one parameter tensor: soft values with the n0 smallest set to 0. Ties are
    /// broken by index (lower first), so the result depends on nothing but the input. n0 rounds half to
    /// even, as Python's round does.
    /// </summary>
    public static void Mask(ReadOnlySpan<float> logAlpha, Span<float> mask)
    {
        OpChecks.Require(mask.Length == logAlpha.Length, $"eval mask: {logAlpha.Length} log alphas, {mask.Length} outputs");
        double expectedZeros = 0;
        for (int i = 0; i < logAlpha.Length; i++)
        {
            expectedZeros += ProbabilityZero(logAlpha[i]);
            mask[i] = Soft(logAlpha[i]);
        }
        int zeros = Math.Min(logAlpha.Length, (int)Math.Round(expectedZeros, MidpointRounding.ToEven));
        if (zeros == 0) return;
        var order = new int[mask.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = mask.ToArray();
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        for (int i = 0; i < zeros; i++) mask[order[i]] = 0f;
    }

    /// <summary>Fraction of entries that a threshold τ drops: 1 − #(soft > τ)/n.</summary>
    public static double Sparsity(ReadOnlySpan<float> soft, double threshold)
    {
        if (soft.IsEmpty) return 0;
        int kept = 0;
        foreach (var v in soft) if (v > threshold) kept++;
        return 1.0 - (double)kept / soft.Length;
    }

    /// <summary>
    /// The τ in [0,1] whose binarization (keep soft &gt; τ) has the sparsity nearest to
    /// <paramref name="targetSparsity"/>, found by bisection to <see cref="ThresholdResolution"/>.
    /// Sparsity only grows with τ, so the bisection keeps the target between its ends.
    /// </summary>
    public static double Threshold(ReadOnlySpan<float> soft, double targetSparsity)
    {
        double lo = 0, hi = 1;
        while (hi - lo > ThresholdResolution)
        {
            double mid = 0.5 * (lo + hi);
            if (Sparsity(soft, mid) > targetSparsity) hi = mid;
            else lo = mid;
        }
        return Math.Abs(Sparsity(soft, lo) - targetSparsity) <= Math.Abs(Sparsity(soft, hi) - targetSparsity) ? lo : hi;
    }
}
