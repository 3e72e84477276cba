namespace EdgePruning.Kernels.MaskedRead;

/// <summary>The norm a masked read applies before the reader's projection.</summary>
public enum MaskedReadNormKind
{
    /// <summary>y = (x − mean)·rstd·gamma + beta, rstd = 1/sqrt(var + eps) (GPT-2).</summary>
    LayerNorm,
    /// <summary>y = x·rstd·gamma, rstd = 1/sqrt(mean(x²) + eps) (Llama).</summary>
    RmsNorm,
}
