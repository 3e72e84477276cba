using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// The hard concrete relaxation of a 0/1 mask (Louizos et al.), with the constants of Edge Pruning's
/// l0.py. Training draws z = clamp(l + (r−l)·s, 0, 1), s = σ((log u − log(1−u) + log α)/β), with one
/// uniform u per mask entry per step shared by the whole batch; u is the caller's, so a recomputed
/// forward sees the same sample. The deterministic evaluation rule is in <see cref="HardConcreteEval"/>.
/// </summary>
public static class HardConcreteOp
{
    public const double Left = HardConcreteMath.Left;
    public const double Right = HardConcreteMath.Right;
    public const double Beta = HardConcreteMath.Beta;
    public const double Epsilon = 1e-6;

    /// <summary>u ~ U(eps, 1−eps) for every entry.</summary>
    public static void DrawUniform(Random rng, Span<float> u)
    {
        for (int i = 0; i < u.Length; i++) u[i] = (float)(Epsilon + (1 - 2 * Epsilon) * rng.NextDouble());
    }

    /// <summary>
    /// u ~ U(eps, 1−eps) for every entry from the numbers <paramref name="start"/>, … of <paramref name="noise"/>, on
    /// every core: the values <see cref="DrawUniform(Random, Span{float})"/> draws from a <c>new Random(seed)</c> that
    /// has already drawn <paramref name="start"/> numbers, bit for bit.
    /// </summary>
    public static void DrawUniform(SubtractiveStream noise, long start, Span<float> u) =>
        noise.FillUniform(start, u, Epsilon, 1 - 2 * Epsilon);

    /// <summary>z for every entry, in SIMD lanes on every core (<see cref="CpuHardConcrete"/>; the scalar oracle is <see cref="HardConcreteMath"/>).</summary>
    public static void Forward(ReadOnlySpan<float> logAlpha, ReadOnlySpan<float> u, Span<float> z)
    {
        OpChecks.Require(u.Length == logAlpha.Length && z.Length == logAlpha.Length,
            $"hard concrete: {logAlpha.Length} log alphas, {u.Length} samples, {z.Length} outputs");
        CpuHardConcrete.Forward(logAlpha, u, z);
    }

    /// <summary>dLogAlpha += dz·(r−l)·s(1−s)/β where the stretched value lies inside (0,1), else nothing (the clamp is flat).</summary>
    public static void Backward(ReadOnlySpan<float> logAlpha, ReadOnlySpan<float> u, ReadOnlySpan<float> dz, Span<float> dLogAlpha)
    {
        OpChecks.Require(u.Length == logAlpha.Length && dz.Length == logAlpha.Length && dLogAlpha.Length == logAlpha.Length,
            $"hard concrete backward: {logAlpha.Length} log alphas, {u.Length} samples, {dz.Length} gradients");
        CpuHardConcrete.Backward(logAlpha, u, dz, dLogAlpha);
    }

    internal static double Sigmoid(double x) => HardConcreteMath.Sigmoid(x);
}
