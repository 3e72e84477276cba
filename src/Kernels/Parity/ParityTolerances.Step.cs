using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

public static partial class ParityTolerances
{
    /// <summary>
    /// The tolerance for the edge-mask gradients of a whole pruning step (forward and backward) against the host
    /// trainer, each edge held to the size of the terms the host summed into it. The gradient of edge w → r is
    /// g = Σᵢ ∂L/∂x_r[i]·(m_w·y_w[i] − m_w·ỹ_w[i]) over the reader's token rows and features; with
    /// S = Σᵢ |∂L/∂x_r[i]|·m_w·(|y_w[i]| + |ỹ_w[i]|) (<paramref name="termSizes"/>, from the host trainer's
    /// <c>EdgeMaskedModel.EdgeGradientTermSizes</c>), the bound is
    /// <code>|a − b| ≤ rtol·(S + rms(S)) + 2·2⁻²⁴·|b|</code>
    /// If every factor of every term carries a relative error δ, the sum is off by at most 2δ·S however much the terms
    /// cancel: an edge whose large terms cancel (an MLP whose output barely moves between the clean and the corrupted
    /// run, y ≈ ỹ) may be off by far more than its small value, which a bound on |b| or on the gradients' RMS would
    /// refuse. The rms(S) part takes the errors that reach ∂L/∂x_r itself from upstream cancellations (p_c − p_f of the
    /// KL gradient, the norm and softmax backwards): those have the size of the step's typical terms, not of this
    /// edge's. The last part is the f32 rounding of g on each side.
    /// <para>
    /// rtol by arithmetic: twice the largest |a − b| / (S + rms(S)) measured under the CUDA emulator (its cuBLAS computes
    /// in f32, or rounds its inputs to TF32 when allowed, and bf16 products accumulate in f32) by
    /// <c>bench/EdgePruning.Bench -- step-errors</c>: every <c>StepParity</c> check (4 sequences, micro-batch 2, node
    /// masks, interchange ablation; unfused read, fused read, fused read with recomputation) of the tiny GPT-2 and Llama of
    /// <c>selftest --tiny</c> (seeds 1–3, 3 and 4 tokens) and of the shared test models (seed 1, 6 tokens).
    /// </para>
    /// <code>
    /// measured            f32 (true)   TF32         bf16
    /// gpt2-tiny           4.6e-8       4.1e-5       5.4e-4
    /// llama-tiny          1.2e-7       1.5e-4       1.3e-3
    /// gpt2-tasks          8.6e-6       2.4e-4       6.8e-4
    /// slm4096-gpt         1.7e-7       1.9e-4       1.3e-3
    /// stories260K         3.9e-7       4.5e-4       4.9e-3
    /// aidreams260K        2.2e-7       1.4e-4       2.3e-3
    /// tracr reverse       1.2e-6       5.4e-4       1.9e-4
    /// tracr xproportion   0 (every gradient exactly 0 in this step)
    /// rtol                1.7e-5       1.1e-3       1.0e-2
    /// (unit roundoff)     6.0e-8       4.9e-4       3.9e-3
    /// </code>
    /// gpt2-tasks sets the f32 figure: a trained model whose next token has p ≈ 0.95, so that the KL gradient p_c − p_f
    /// is 3 % of the p it is the difference of; the device's f32 KL gradient differs from the host's (double) by 4.7e-4
    /// (relative RMS) on the same logits, and its mask gradients by 4.8e-4, or 3.5e-4 with the host's KL gradient fed
    /// to the device's backward.
    /// </summary>
    public static ParityTolerance ForStep(DType dtype, bool tf32, ReadOnlySpan<float> termSizes)
    {
        double rtol = StepTermRtol(dtype, tf32);
        return new ParityTolerance(rtol * RootMeanSquare(termSizes), 2 * F32Unit, rtol);
    }

    /// <summary>The rtol of <see cref="ForStep"/>, by the step's arithmetic (f32 products in TF32 when <paramref name="tf32"/>).</summary>
    public static double StepTermRtol(DType dtype, bool tf32) => dtype switch
    {
        DType.F32 when tf32 => StepTf32,
        DType.F32 => StepF32,
        DType.BF16 or DType.F16 => StepBf16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    /// <summary>Unit roundoff of f32: 2⁻²⁴.</summary>
    public const double F32Unit = 1.0 / (1 << 24);

    /// <summary><see cref="ForStep"/>'s rtol in true f32: 2 × 8.6e-6 measured.</summary>
    public const double StepF32 = 1.7e-5;

    /// <summary><see cref="ForStep"/>'s rtol with f32 products in TF32: 2 × 5.4e-4 measured.</summary>
    public const double StepTf32 = 1.1e-3;

    /// <summary><see cref="ForStep"/>'s rtol in bf16: 2 × 4.9e-3 measured.</summary>
    public const double StepBf16 = 1.0e-2;
}
