using EdgePruning.Kernels;

namespace EdgePruning.Models;

/// <summary>The three architecture families behind one configurable transformer.</summary>
public enum ModelFamily
{
    Gpt2,
    Llama,
    Tracr,
}

public enum NormKind
{
    None,
    LayerNorm,
    RmsNorm,
}

/// <summary>What the final readout produces.</summary>
public enum ReadoutKind
{
    /// <summary>Logits over the vocabulary through the unembedding (tied or separate).</summary>
    Logits,
    /// <summary>A projection of the residual stream onto output classes or dimensions (Tracr).</summary>
    Projection,
}

/// <summary>
/// Shape and behaviour of a decoder (or Tracr's non-causal encoder). Every family is an instance of
/// this record; the forward pass reads nothing else.
/// </summary>
public sealed record TransformerConfig
{
    public required ModelFamily Family { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public int KvHeads { get; init; }
    public required int ModelDim { get; init; }
    /// <summary>Query/key size per head.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Value size per head (equal to <see cref="HeadDim"/> except in some Tracr models).</summary>
    public int ValueDim { get; init; }
    public required int MlpDim { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>Number of readout outputs (the vocabulary for language models, classes for Tracr).</summary>
    public int OutputSize { get; init; }
    public required int MaxSeqLen { get; init; }
    public required NormKind Norm { get; init; }
    public float NormEps { get; init; } = 1e-5f;
    public required Activation MlpActivation { get; init; }
    /// <summary>SwiGLU MLP (gate and up projections) instead of a single up projection.</summary>
    public bool GatedMlp { get; init; }
    public bool LearnedPositions { get; init; }
    public bool Rope { get; init; }
    public float RopeTheta { get; init; } = 10000f;
    public bool Causal { get; init; } = true;
    public bool TiedEmbeddings { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public ReadoutKind Readout { get; init; } = ReadoutKind.Logits;
    /// <summary>Token id whose key positions attention ignores (Tracr's compiler_pad), or -1.</summary>
    public int PadTokenId { get; init; } = -1;
    public int BosTokenId { get; init; } = -1;
    public int EosTokenId { get; init; } = -1;

    public int EffectiveKvHeads => KvHeads == 0 ? Heads : KvHeads;
    public int EffectiveValueDim => ValueDim == 0 ? HeadDim : ValueDim;
    public int EffectiveOutputSize => OutputSize == 0 ? VocabSize : OutputSize;
    public float AttentionScale => 1f / MathF.Sqrt(HeadDim);

    /// <summary>Number of weights, counting tied tensors once.</summary>
    public long ParameterCount
    {
        get
        {
            long d = ModelDim, kv = EffectiveKvHeads, h = Heads, hd = HeadDim, vd = EffectiveValueDim;
            long normParams = Norm switch { NormKind.LayerNorm => 2 * d, NormKind.RmsNorm => d, _ => 0 };
            long attn = d * h * hd + d * kv * hd + d * kv * vd + h * vd * d;
            if (AttentionBias) attn += h * hd + kv * hd + kv * vd + d;
            long mlp = (GatedMlp ? 3 : 2) * d * MlpDim;
            if (MlpBias) mlp += MlpDim + d;
            long perLayer = attn + mlp + 2 * normParams;
            long total = Layers * perLayer + normParams + (long)VocabSize * d;
            if (LearnedPositions) total += (long)MaxSeqLen * d;
            if (!TiedEmbeddings) total += (long)EffectiveOutputSize * d;
            return total;
        }
    }

    /// <summary>Throws a clear error when the numbers do not make a model.</summary>
    public void Validate(string source)
    {
        void Need(bool ok, string what)
        {
            if (!ok) throw new ModelFormatException($"{source}: invalid model config: {what}");
        }
        Need(Layers > 0, $"layers = {Layers}");
        Need(Heads > 0, $"heads = {Heads}");
        Need(EffectiveKvHeads > 0 && Heads % EffectiveKvHeads == 0, $"heads {Heads} is not a multiple of kv heads {EffectiveKvHeads}");
        Need(ModelDim > 0 && HeadDim > 0 && MlpDim > 0 && VocabSize > 0 && MaxSeqLen > 0,
            $"dim {ModelDim}, head dim {HeadDim}, mlp {MlpDim}, vocab {VocabSize}, max seq {MaxSeqLen}");
        Need(!Rope || HeadDim % 2 == 0, $"RoPE needs an even head dim, got {HeadDim}");
    }
}
