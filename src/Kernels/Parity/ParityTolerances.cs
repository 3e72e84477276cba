using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Every tolerance of the parity checks, in one place. The oracle runs in f32 on the host (accumulating in
/// double) on the inputs exactly as the candidate saw them, so for bf16 the inputs are already rounded on
/// both sides and only what the candidate rounds afterwards counts.
///
/// The criterion is |a − b| ≤ atol + rtol·|b| per element, with atol = rtol·scale, the scale being the
/// typical size of the result: rms(b), or for an activation the rms of its input as well (its tail is the
/// cancellation x·(1 + erf(x/√2))/2 of order-|x| terms). The relative part holds each element to its own
/// size, the absolute part lets an element that cancels to near zero (a dot product, x − mean, a rotation,
/// a GELU tail) be off by the same relative amount of that typical size.
///
/// | dtype | where | arithmetic      | rtol                   | why |
/// |-------|-------|-----------------|------------------------|-----|
/// | any   | any   | exact           | 0                      | copies and conversions (round to nearest even) are defined bit for bit |
/// | f32   | host  | any             | 1e-5                   | same math in another order (SIMD lanes, threads, FMA); CpuKernels measure ≤ 2e-6 (3.5e-6 for LayerNorm of rows around 16, the f32 mean's own rounding) |
/// | f32   | GPU   | float           | 1e-5                   | device expf/tanhf/rsqrtf are within a few ulp (~1e-7); tree-order sums as on the host |
/// | f32   | GPU   | matrix product  | max(1e-5, √k·2⁻¹¹)     | cuBLAS and tensor-core kernels may use TF32: inputs rounded to 10 mantissa bits (2⁻¹¹ each), k of those errors summed at random sign |
/// | bf16  | any   | any inexact     | 2⁻⁷                    | output rounded to 8 significant bits (2⁻⁸) plus one intermediate rounded the same way (a bias added to a rounded product, attention probabilities fed to a bf16 P·V) |
/// | f32   | any   | whole model     | matrix-product rtol × √(2L + 2) | L blocks each add two kernel results to the residual stream, plus embedding and readout; independent errors add in quadrature (CPU, f32: GPT-2-small-shaped 12 layers measured 2e-6 against 5.1e-5) |
/// | bf16  | any   | whole model     | z(N)·(2⁻⁸/√3)·√(2L + 5) | the largest of N logits' errors, each a sum of 2L + 5 bf16 roundings' worth: <see cref="ForModel"/> |
/// | any   | any   | pruning step    | measured, per edge × the size of its terms | the mask gradients of a whole step: <see cref="ForStep"/> |
///
/// The backward, training and masked-read kernels take the same rules, by what they compute:
/// | family | arithmetic | why |
/// |--------|------------|-----|
/// | fill | exact | a stored value, rounded to nearest even in bf16 |
/// | scale, axpy, activation/SwiGLU/rope backward | float | elementwise f32 maps (rope: a rotation), as their forwards |
/// | layernorm/rmsnorm backward | float | two row sums over d in f32, as the forward norms |
/// | attention backward | matrix product over max(dk, dv, S, T·H/KV) | the products of the forward and their transposes; a key or value collects every query of its group |
/// | hard concrete (and backward), AdamW | float | elementwise f32 with logf/expf/sqrtf, a few ulp each; inputs kept off the clamp's corners, where the gradient jumps |
/// | masked edge sum (and backward) | matrix product over W (x), N (dz), R (dD) | cuBLAS GEMMs, TF32 where the context allows it |
/// | KL divergence | float | a log-sum-exp over the row in f32, as softmax |
/// | masked read (and backward) | float | f32 sums over the U writers, over d for the statistics and over N·d for dz, on ordinary cores; each output in its own dtype (statistics, dz and dC f32 whatever D and y are; dD f32 or bf16, as stored) |
///
/// An output a kernel adds into (dx += …, an optimizer's update) is measured against <see cref="ScaleOfSum"/>; a
/// result that is a difference of order-one terms against the size of those terms, as the activations are:
/// a mask against 1, a KL in nats, a norm gradient against rstd·dy·γ, a row mean against the row's spread, a
/// gradient of probabilities against the largest probability.
/// </summary>
public static partial class ParityTolerances
{
    /// <summary>f32 on the host, and f32 ordinary-core arithmetic on a GPU.</summary>
    public const double F32 = 1e-5;

    /// <summary>Unit roundoff of TF32 (10 explicit mantissa bits): 2⁻¹¹.</summary>
    public const double Tf32Unit = 1.0 / 2048;

    /// <summary>Unit roundoff of bf16 (7 explicit mantissa bits) is 2⁻⁸; two roundings: 2⁻⁷.</summary>
    public const double Bf16 = 1.0 / 128;

    /// <summary>The relative tolerance for one kernel call; <paramref name="reduction"/> is the length of its longest dot product.</summary>
    public static double Relative(DType dtype, bool onDevice, ParityArithmetic arithmetic, int reduction)
    {
        if (arithmetic == ParityArithmetic.Exact) return 0;
        return dtype switch
        {
            DType.F32 when onDevice && arithmetic == ParityArithmetic.MatrixProduct =>
                Math.Max(F32, Math.Sqrt(Math.Max(1, reduction)) * Tf32Unit),
            DType.F32 => F32,
            DType.BF16 or DType.F16 => Bf16,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    /// <summary>The tolerance for one kernel call whose result has the typical size <paramref name="scale"/>.</summary>
    public static ParityTolerance For(DType dtype, bool onDevice, ParityArithmetic arithmetic, int reduction, double scale)
    {
        double rtol = Relative(dtype, onDevice, arithmetic, reduction);
        return rtol == 0 ? ParityTolerance.Exact : new ParityTolerance(rtol * scale, rtol);
    }

    /// <summary>
    /// The typical size of an output a kernel adds into: that of the larger of the two terms, the value before
    /// and what was added (<paramref name="after"/> − <paramref name="before"/>). Against the sum alone, an
    /// element where the two cancel would be held to nothing.
    /// </summary>
    public static double ScaleOfSum(ReadOnlySpan<float> before, ReadOnlySpan<float> after)
    {
        if (before.Length != after.Length) throw new ArgumentException($"{before.Length} values before, {after.Length} after");
        double added = 0;
        long n = 0;
        for (int i = 0; i < after.Length; i++)
        {
            double d = (double)after[i] - before[i];
            if (!double.IsFinite(d)) continue;
            added += d * d;
            n++;
        }
        return Math.Max(RootMeanSquare(before), n == 0 ? 0 : Math.Sqrt(added / n));
    }

    /// <summary>RMS of the finite values (0 when there are none).</summary>
    public static double RootMeanSquare(ReadOnlySpan<float> values)
    {
        double sum = 0;
        long n = 0;
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            sum += (double)v * v;
            n++;
        }
        return n == 0 ? 0 : Math.Sqrt(sum / n);
    }
}
