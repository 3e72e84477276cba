using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// Random inputs of a masked read: masks z [R,U] in [0,1] with exact zeros and ones (writer 0 masked off
/// for every reader, so that a skipped writer is covered), D [U,N,d] and C [N,d] uniform in (−1,1), gamma
/// in (0.5,1.5), beta in (−0.5,0.5).
/// </summary>
internal sealed record MaskedReadInputs(Tensor Z, Tensor Stack, Tensor Corrupted, MaskedReadNorm Norm)
{
    public const float Eps = 1e-5f;

    public int Readers => Z.Shape[0];
    public int Writers => Z.Shape[1];
    public int Dim => Norm.Dim;
    public int Tokens => checked((int)(Corrupted.Count / Dim));

    public static MaskedReadInputs Random(int seed, MaskedReadNormKind kind, int readers, int writers, int tokens, int dim)
    {
        var rng = new Random(seed);
        var z = Tensor.Empty(DType.F32, readers, writers);
        var zs = z.Span;
        for (int i = 0; i < zs.Length; i++)
        {
            double p = rng.NextDouble();
            zs[i] = i % writers == 0 ? 0f : p < 0.2 ? 0f : p < 0.4 ? 1f : (float)rng.NextDouble();
        }
        var stack = KernelTensors.Random(rng, 1f, writers, tokens, dim);
        var corrupted = KernelTensors.Random(rng, 1f, tokens, dim);
        var gamma = KernelTensors.Random(rng, 0.5f, 1f, dim);
        var norm = kind == MaskedReadNormKind.LayerNorm
            ? MaskedReadNorm.LayerNorm(gamma, KernelTensors.Random(rng, 0.5f, dim), Eps)
            : MaskedReadNorm.RmsNorm(gamma, Eps);
        return new MaskedReadInputs(z, stack, corrupted, norm);
    }

    public MaskedReadInputs WithStack(Tensor stack) => this with { Stack = stack };

    /// <summary>The same LayerNorm without its beta.</summary>
    public MaskedReadInputs WithoutBeta() => this with { Norm = MaskedReadNorm.LayerNorm(Norm.Gamma, null, Norm.Eps) };

    /// <summary>Statistics tensors for a forward: mean (LayerNorm only) and rstd, poisoned.</summary>
    public (Tensor? Mean, Tensor Rstd) PoisonedStatistics() =>
        (Norm.Kind == MaskedReadNormKind.LayerNorm ? KernelTensors.Poisoned(Readers, Tokens) : null, KernelTensors.Poisoned(Readers, Tokens));
}
