using EdgePruning.Runtime;

namespace EdgePruning.Models;

/// <summary>
/// Weights of one block. Every matrix is stored [out, in] (f32 on the host; f32 or bf16 on a GPU) (y = x·Wᵀ): loaders transpose
/// [in, out] layouts (HF GPT-2 Conv1D, haiku) once at load time. Q/K/V rows are head-major, so the
/// rows of head h are [h·headDim, (h+1)·headDim).
/// </summary>
public sealed class LayerWeights
{
    public Tensor? AttnNormWeight { get; init; }
    public Tensor? AttnNormBias { get; init; }
    public required Tensor Wq { get; init; }
    public Tensor? Bq { get; init; }
    public required Tensor Wk { get; init; }
    public Tensor? Bk { get; init; }
    public required Tensor Wv { get; init; }
    public Tensor? Bv { get; init; }
    /// <summary>Output projection [d, heads·valueDim].</summary>
    public required Tensor Wo { get; init; }
    public Tensor? Bo { get; init; }
    public Tensor? MlpNormWeight { get; init; }
    public Tensor? MlpNormBias { get; init; }
    /// <summary>Up projection [mlp, d] (the gate, w1, in a gated MLP).</summary>
    public required Tensor WUp { get; init; }
    public Tensor? BUp { get; init; }
    /// <summary>The second input projection of a gated MLP (w3 in llama2.c), or null.</summary>
    public Tensor? WGateUp { get; init; }
    /// <summary>Down projection [d, mlp].</summary>
    public required Tensor WDown { get; init; }
    public Tensor? BDown { get; init; }

    /// <summary>The same block with every tensor passed through <paramref name="map"/> (a copy to a device, a dtype change).</summary>
    public LayerWeights Map(Func<Tensor, Tensor> map) => new()
    {
        AttnNormWeight = MapOptional(AttnNormWeight, map), AttnNormBias = MapOptional(AttnNormBias, map),
        Wq = map(Wq), Bq = MapOptional(Bq, map), Wk = map(Wk), Bk = MapOptional(Bk, map),
        Wv = map(Wv), Bv = MapOptional(Bv, map), Wo = map(Wo), Bo = MapOptional(Bo, map),
        MlpNormWeight = MapOptional(MlpNormWeight, map), MlpNormBias = MapOptional(MlpNormBias, map),
        WUp = map(WUp), BUp = MapOptional(BUp, map), WGateUp = MapOptional(WGateUp, map),
        WDown = map(WDown), BDown = MapOptional(BDown, map),
    };

    internal static Tensor? MapOptional(Tensor? t, Func<Tensor, Tensor> map) => t is null ? null : map(t);

    public IEnumerable<(string Name, Tensor? Tensor)> Named()
    {
        yield return ("attn_norm.weight", AttnNormWeight);
        yield return ("attn_norm.bias", AttnNormBias);
        yield return ("wq", Wq); yield return ("bq", Bq);
        yield return ("wk", Wk); yield return ("bk", Bk);
        yield return ("wv", Wv); yield return ("bv", Bv);
        yield return ("wo", Wo); yield return ("bo", Bo);
        yield return ("mlp_norm.weight", MlpNormWeight);
        yield return ("mlp_norm.bias", MlpNormBias);
        yield return ("w_up", WUp); yield return ("b_up", BUp);
        yield return ("w_gate_up", WGateUp);
        yield return ("w_down", WDown); yield return ("b_down", BDown);
    }
}

/// <summary>All weights of a model, in the layout of <see cref="LayerWeights"/>.</summary>
public sealed class TransformerWeights
{
    public required Tensor TokenEmbedding { get; init; }
    public Tensor? PositionEmbedding { get; init; }
    public required IReadOnlyList<LayerWeights> Layers { get; init; }
    public Tensor? FinalNormWeight { get; init; }
    public Tensor? FinalNormBias { get; init; }
    /// <summary>Readout [outputs, d]; the same tensor as <see cref="TokenEmbedding"/> when tied.</summary>
    public required Tensor Unembedding { get; init; }

    /// <summary>
    /// The same weights with every tensor passed through <paramref name="map"/> once (a tied readout stays
    /// the same tensor as the token embedding).
    /// </summary>
    public TransformerWeights Map(Func<Tensor, Tensor> map)
    {
        var embedding = map(TokenEmbedding);
        return new TransformerWeights
        {
            TokenEmbedding = embedding,
            PositionEmbedding = LayerWeights.MapOptional(PositionEmbedding, map),
            Layers = Layers.Select(l => l.Map(map)).ToArray(),
            FinalNormWeight = LayerWeights.MapOptional(FinalNormWeight, map),
            FinalNormBias = LayerWeights.MapOptional(FinalNormBias, map),
            Unembedding = ReferenceEquals(Unembedding, TokenEmbedding) ? embedding : map(Unembedding),
        };
    }

    /// <summary>The dtype every tensor shares (the token embedding's).</summary>
    public DType DType => TokenEmbedding.DType;

    /// <summary>Checks every tensor against the config and names the first one that does not fit.</summary>
    public void Validate(TransformerConfig c, string source)
    {
        void Expect(Tensor? t, string name, params int[] dims)
        {
            if (t is null) throw new ModelFormatException($"{source}: tensor '{name}' is missing");
            if (!t.Shape.Equals(new Shape(dims)))
                throw new ModelFormatException($"{source}: tensor '{name}' has shape {t.Shape}, expected {new Shape(dims)}");
            if (t.DType != TokenEmbedding.DType)
                throw new ModelFormatException($"{source}: tensor '{name}' is {t.DType.Name()}, the token embedding {TokenEmbedding.DType.Name()}");
            if (!t.IsOnDevice && t.DType != DType.F32)
                throw new ModelFormatException($"{source}: tensor '{name}' is {t.DType.Name()}, the CPU engine computes in f32");
        }
        void Optional(Tensor? t, bool present, string name, params int[] dims)
        {
            if (present) Expect(t, name, dims);
            else if (t is not null) throw new ModelFormatException($"{source}: tensor '{name}' is present but the config has none");
        }
        int d = c.ModelDim, hq = c.Heads * c.HeadDim, hk = c.EffectiveKvHeads * c.HeadDim, hv = c.EffectiveKvHeads * c.EffectiveValueDim;
        int ho = c.Heads * c.EffectiveValueDim;
        bool norm = c.Norm != NormKind.None, ln = c.Norm == NormKind.LayerNorm;
        Expect(TokenEmbedding, "token_embedding", c.VocabSize, d);
        Optional(PositionEmbedding, c.LearnedPositions, "position_embedding", c.MaxSeqLen, d);
        if (Layers.Count != c.Layers) throw new ModelFormatException($"{source}: {Layers.Count} layers, config says {c.Layers}");
        for (int l = 0; l < c.Layers; l++)
        {
            var w = Layers[l];
            string p = $"layer {l} ";
            Optional(w.AttnNormWeight, norm, p + "attn_norm.weight", d);
            Optional(w.AttnNormBias, ln, p + "attn_norm.bias", d);
            Expect(w.Wq, p + "wq", hq, d); Optional(w.Bq, c.AttentionBias, p + "bq", hq);
            Expect(w.Wk, p + "wk", hk, d); Optional(w.Bk, c.AttentionBias, p + "bk", hk);
            Expect(w.Wv, p + "wv", hv, d); Optional(w.Bv, c.AttentionBias, p + "bv", hv);
            Expect(w.Wo, p + "wo", d, ho); Optional(w.Bo, c.AttentionBias, p + "bo", d);
            Optional(w.MlpNormWeight, norm, p + "mlp_norm.weight", d);
            Optional(w.MlpNormBias, ln, p + "mlp_norm.bias", d);
            Expect(w.WUp, p + "w_up", c.MlpDim, d); Optional(w.BUp, c.MlpBias, p + "b_up", c.MlpDim);
            Optional(w.WGateUp, c.GatedMlp, p + "w_gate_up", c.MlpDim, d);
            Expect(w.WDown, p + "w_down", d, c.MlpDim); Optional(w.BDown, c.MlpBias, p + "b_down", d);
        }
        Optional(FinalNormWeight, norm, "final_norm.weight", d);
        Optional(FinalNormBias, ln, "final_norm.bias", d);
        Expect(Unembedding, "unembedding", c.EffectiveOutputSize, d);
    }
}
