using EdgePruning.Runtime;

namespace EdgePruning.Kernels.MaskedRead;

/// <summary>
/// The frozen norm in front of a group of readers: its kind, gamma [d], beta [d] (LayerNorm only, optional)
/// and eps. Every reader of the group shares it.
/// </summary>
public sealed record MaskedReadNorm
{
    private MaskedReadNorm(MaskedReadNormKind kind, Tensor gamma, Tensor? beta, float eps)
    {
        if (gamma.DType != DType.F32 || (beta is not null && (beta.DType != DType.F32 || beta.Count != gamma.Count)))
            throw new ShapeException($"norm weights must be f32 of one length: gamma {gamma}, beta {beta?.ToString() ?? "none"}");
        Kind = kind;
        Gamma = gamma;
        Beta = beta;
        Eps = eps;
    }

    public MaskedReadNormKind Kind { get; }
    public Tensor Gamma { get; }
    public Tensor? Beta { get; }
    public float Eps { get; }

    /// <summary>d, the model dimension.</summary>
    public int Dim => checked((int)Gamma.Count);

    public static MaskedReadNorm LayerNorm(Tensor gamma, Tensor? beta, float eps) => new(MaskedReadNormKind.LayerNorm, gamma, beta, eps);

    public static MaskedReadNorm RmsNorm(Tensor gamma, float eps) => new(MaskedReadNormKind.RmsNorm, gamma, null, eps);
}
