using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

public static partial class ParityTolerances
{
    /// <summary>Unit roundoff of bf16 (8 significant bits, round to nearest): 2⁻⁸.</summary>
    public const double Bf16Unit = 1.0 / 256;

    /// <summary>
    /// How often a correct model forward may fail <see cref="ForModel"/> in bf16 by chance: the tail probability its
    /// Gaussian bound is set at.
    /// </summary>
    public const double ModelFalseFailure = 1e-3;

    /// <summary>
    /// The tolerance for the logits of a whole forward pass of <paramref name="layers"/> blocks whose longest dot
    /// product is <paramref name="reduction"/>, against the reference in f32 over the same (rounded) weights.
    /// <para>
    /// f32: the per-kernel rtol of a matrix product times √(2L + 2). Each block adds two results to the residual
    /// stream (attention, MLP), each carrying one kernel's error, and the embedding and the readout add one each; errors
    /// of independent sign add in quadrature.
    /// </para>
    /// <para>
    /// bf16 (every activation stored in bf16, the reference's in f32): each rounding to bf16 is a relative error uniform
    /// in ±u, u = 2⁻⁸, of standard deviation u/√3, independent from element to element. The residual stream is rounded
    /// 2L + 1 times (the embedding sum and two adds per block), then the final norm's output and the logits themselves;
    /// the blocks' inner roundings (norms, projections, attention, activation) reach the residual scaled by the branch's
    /// share of it. So a logit's error is close to Gaussian with σ = (u/√3)·√(2L + c), in units of the logits' RMS:
    /// measured under the CUDA emulator on the random GPT-2-small-shaped model's 402,056 logits (2 × 4 tokens) with
    /// its first 1, 2, 4, 8 and 12 blocks, σ = 5.95e-3, 6.70e-3, 8.10e-3, 9.77e-3 and 1.07e-2: c = 5 bounds them all
    /// (5.95e-3, 6.75e-3, 8.11e-3, 1.03e-2, 1.21e-2). The largest of N such errors stays below z·σ,
    /// z = <see cref="GaussianTail"/>(N, p), except with probability p = <see cref="ModelFalseFailure"/>; there the
    /// largest errors measured were 5.27, 4.85, 4.69, 4.82 and 4.56 of their σ, against z = 6.3 (12 blocks: 4.9e-2 of
    /// the RMS against an rtol of 7.6e-2, where √(2L + 2)·2⁻⁷ = 4.0e-2 failed 3 logits). The rtol·|b| part covers the
    /// logits' own rounding, relative to their value.
    /// </para>
    /// </summary>
    public static ParityTolerance ForModel(DType dtype, bool onDevice, int reduction, int layers, ReadOnlySpan<float> logits)
    {
        double rtol = dtype is DType.BF16 or DType.F16
            ? GaussianTail(logits.Length, ModelFalseFailure) * Bf16Unit / Math.Sqrt(3) * Math.Sqrt(2.0 * Math.Max(0, layers) + 5)
            : ModelGrowth(layers) * Relative(dtype, onDevice, ParityArithmetic.MatrixProduct, reduction);
        return new ParityTolerance(rtol * RootMeanSquare(logits), rtol);
    }

    /// <summary>√(2L + 2): how many kernel errors of independent sign reach the logits of an L-block model.</summary>
    public static double ModelGrowth(int layers) => Math.Sqrt(2.0 * Math.Max(0, layers) + 2);

    /// <summary>
    /// z = √(2 ln(n/p)): the largest |x| of <paramref name="n"/> standard normal samples exceeds z with probability at
    /// most <paramref name="p"/> (each one with probability at most e^(−z²/2)).
    /// </summary>
    public static double GaussianTail(long n, double p) => Math.Sqrt(2 * Math.Log(Math.Max(1, n) / p));
}
