using EdgePruning.Runtime;

namespace EdgePruning.Tests.Autodiff;

/// <summary>Step of the central difference and the accepted gap |analytic − numeric| ≤ Absolute + Relative·max(|a|,|n|).</summary>
internal readonly record struct Tolerance(float Step, double Relative, double Absolute)
{
    /// <summary>For ops linear in the checked input: a large step has no truncation error, so only f32 rounding remains.</summary>
    public static readonly Tolerance Linear = new(0.5f, 1e-5, 1e-5);

    /// <summary>For smooth nonlinear ops in f32: step 1e-2 keeps truncation (~h²) and rounding (~ulp/h) both near 1e-4.</summary>
    public static readonly Tolerance Smooth = new(1e-2f, 5e-3, 2e-4);
}

/// <summary>
/// Finite-difference checks of analytic gradients. The loss is L = Σ G⊙outputs with random G; the
/// numeric derivative sums G·(y₊ − y₋) in double, so outputs that a perturbation leaves unchanged
/// cancel exactly and only the affected ones carry f32 rounding.
/// </summary>
internal static class GradientCheck
{
    /// <summary>Checked entries per input: enough to catch an index error, few enough to stay fast.</summary>
    public const int Samples = 40;

    /// <summary>Uniform values of either sign with magnitude in [0.1, 1]·scale: random, never zero.</summary>
    public static Tensor Random(Random rng, float scale, params int[] dims)
    {
        var t = Tensor.Empty(DType.F32, dims);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++)
        {
            float m = 0.1f + 0.9f * rng.NextSingle();
            s[i] = (rng.Next(2) == 0 ? -m : m) * scale;
        }
        return t;
    }

    public static double[] Values(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);

    public static double[] Values(Tensor t, params Tensor[] more)
    {
        var all = new List<double>(Values(t));
        foreach (var m in more) all.AddRange(Values(m));
        return all.ToArray();
    }

    public static void Check(string name, Tensor input, Tensor analytic, Func<double[]> forward, double[] weights,
        Tolerance tol, Random rng, int samples = Samples)
    {
        Assert.Equal(input.Count, analytic.Count);
        var x = input.Span;
        var grad = analytic.Span;
        foreach (int i in Pick(rng, x.Length, samples))
        {
            float v = x[i];
            float up = v + tol.Step, down = v - tol.Step;
            x[i] = up;
            var yp = forward();
            x[i] = down;
            var ym = forward();
            x[i] = v;
            Assert.Equal(weights.Length, yp.Length);
            double sum = 0;
            for (int j = 0; j < yp.Length; j++) sum += weights[j] * (yp[j] - ym[j]);
            double numeric = sum / ((double)up - down);
            double a = grad[i];
            double gap = Math.Abs(a - numeric);
            Assert.True(gap <= tol.Absolute + tol.Relative * Math.Max(Math.Abs(a), Math.Abs(numeric)),
                $"{name}[{i}]: analytic {a:G9}, numeric {numeric:G9}, gap {gap:G3}");
        }
    }

    private static IEnumerable<int> Pick(Random rng, int count, int samples)
    {
        if (count <= samples) return Enumerable.Range(0, count);
        var set = new HashSet<int>();
        while (set.Count < samples) set.Add(rng.Next(count));
        return set.Order();
    }
}

/// <summary>A random loss weighting G: the same values as the gradient tensor fed to a backward and as doubles.</summary>
internal sealed class LossWeights
{
    public LossWeights(Random rng, params int[] dims)
    {
        Gradient = GradientCheck.Random(rng, 1f, dims);
        Values = GradientCheck.Values(Gradient);
    }

    public Tensor Gradient { get; }
    public double[] Values { get; }
}
