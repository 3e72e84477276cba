using EdgePruning.Kernels;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// The norms in front of every reader group as the fused masked read takes them: γ and β in f32 where the
/// model keeps them (weights stored in bf16 get an f32 copy, made once), one per layer's attention readers,
/// one per MLP reader, one for the readout.
/// </summary>
internal sealed class FusedReadNorms
{
    private FusedReadNorms(MaskedReadNorm[] attention, MaskedReadNorm[] mlp, MaskedReadNorm final)
    {
        Attention = attention;
        Mlp = mlp;
        Final = final;
    }

    public MaskedReadNorm[] Attention { get; }
    public MaskedReadNorm[] Mlp { get; }
    public MaskedReadNorm Final { get; }

    /// <summary>Whether the fused read can serve <paramref name="c"/>: a LayerNorm or RMSNorm before every reader.</summary>
    public static bool Supports(TransformerConfig c) => c.Norm is NormKind.LayerNorm or NormKind.RmsNorm;

    public static FusedReadNorms Of(Transformer model, IKernelBackend backend)
    {
        var c = model.Config;
        if (!Supports(c)) throw new EdgePruningException("the fused masked read needs a LayerNorm or RMSNorm before every reader; this model has no norms (use the unfused read)");
        MaskedReadNorm Norm(Tensor? gamma, Tensor? beta)
        {
            var g = F32(gamma ?? throw new ModelFormatException("a norm without weights"), backend, model.Kernels);
            return c.Norm == NormKind.LayerNorm
                ? MaskedReadNorm.LayerNorm(g, beta is null ? null : F32(beta, backend, model.Kernels), c.NormEps)
                : MaskedReadNorm.RmsNorm(g, c.NormEps);
        }
        var layers = model.Weights.Layers;
        return new FusedReadNorms(
            layers.Select(w => Norm(w.AttnNormWeight, w.AttnNormBias)).ToArray(),
            layers.Select(w => Norm(w.MlpNormWeight, w.MlpNormBias)).ToArray(),
            Norm(model.Weights.FinalNormWeight, model.Weights.FinalNormBias));
    }

    private static Tensor F32(Tensor t, IKernelBackend backend, IKernels kernels)
    {
        if (t.DType == DType.F32) return t;
        var wide = backend.Empty(DType.F32, t.Shape.Dims.ToArray());
        kernels.Copy(t, wide);
        return wide;
    }
}
