using System.Text.Json;
using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Seeded random models for tests and benchmarks: weights in our layout (normal·0.02, norm weights 1)
/// and their Hugging Face checkpoint directories (GPT-2 with Conv1D [in, out] matrices; Llama with
/// q/k rows in HF's rotate-half order), single or sharded. Loading a written directory gives back the
/// same model.
/// </summary>
public static class RandomModelWriter
{
    public const float Std = 0.02f;

    /// <summary>Random weights for <paramref name="c"/> in our layout; the same seed gives the same weights.</summary>
    public static TransformerWeights CreateWeights(TransformerConfig c, int seed)
    {
        var rng = new Random(seed);
        Tensor Normal(params int[] dims)
        {
            var t = Tensor.Empty(DType.F32, dims);
            FillNormal(rng, t.Span);
            return t;
        }
        Tensor Ones(int n)
        {
            var t = Tensor.Empty(DType.F32, n);
            t.Fill(1f);
            return t;
        }
        return Build(c, Normal, Ones);
    }

    /// <summary>
    /// Weights of <paramref name="c"/>'s shapes made by <paramref name="normal"/> (random matrices and biases, asked
    /// for in a fixed order) and <paramref name="ones"/> (norm gains): wherever those make their tensors.
    /// </summary>
    public static TransformerWeights Build(TransformerConfig c, Func<int[], Tensor> normal, Func<int, Tensor> ones)
    {
        Tensor Normal(params int[] dims) => normal(dims);
        Tensor Ones(int n) => ones(n);
        int d = c.ModelDim, hq = c.Heads * c.HeadDim, hk = c.EffectiveKvHeads * c.HeadDim;
        int hv = c.EffectiveKvHeads * c.EffectiveValueDim, ho = c.Heads * c.EffectiveValueDim, f = c.MlpDim;
        bool norm = c.Norm != NormKind.None, ln = c.Norm == NormKind.LayerNorm, ab = c.AttentionBias, mb = c.MlpBias;
        var emb = Normal(c.VocabSize, d);
        var pos = c.LearnedPositions ? Normal(c.MaxSeqLen, d) : null;
        var layers = new LayerWeights[c.Layers];
        for (int l = 0; l < c.Layers; l++)
        {
            layers[l] = new LayerWeights
            {
                AttnNormWeight = norm ? Ones(d) : null, AttnNormBias = ln ? Normal(d) : null,
                Wq = Normal(hq, d), Bq = ab ? Normal(hq) : null,
                Wk = Normal(hk, d), Bk = ab ? Normal(hk) : null,
                Wv = Normal(hv, d), Bv = ab ? Normal(hv) : null,
                Wo = Normal(d, ho), Bo = ab ? Normal(d) : null,
                MlpNormWeight = norm ? Ones(d) : null, MlpNormBias = ln ? Normal(d) : null,
                WUp = Normal(f, d), BUp = mb ? Normal(f) : null,
                WGateUp = c.GatedMlp ? Normal(f, d) : null,
                WDown = Normal(d, f), BDown = mb ? Normal(d) : null,
            };
        }
        return new TransformerWeights
        {
            TokenEmbedding = emb, PositionEmbedding = pos, Layers = layers,
            FinalNormWeight = norm ? Ones(d) : null, FinalNormBias = ln ? Normal(d) : null,
            Unembedding = c.TiedEmbeddings ? emb : Normal(c.EffectiveOutputSize, d),
        };
    }

    /// <summary>Writes random GPT-2 weights as an HF directory and returns them in our layout.</summary>
    public static TransformerWeights WriteHfGpt2(string directory, TransformerConfig c, int seed, int shards = 1, bool transformerPrefix = false)
    {
        var w = CreateWeights(c, seed);
        WriteHfGpt2(directory, c, w, shards, transformerPrefix);
        return w;
    }

    /// <summary>Writes <paramref name="w"/> as an HF GPT-2 directory (GPT2Model names, or GPT2LMHeadModel's with the prefix).</summary>
    public static void WriteHfGpt2(string directory, TransformerConfig c, TransformerWeights w, int shards = 1, bool transformerPrefix = false)
    {
        if (c.Norm != NormKind.LayerNorm || !c.LearnedPositions || !c.AttentionBias || !c.MlpBias || c.GatedMlp || c.EffectiveKvHeads != c.Heads)
            throw new ArgumentException("a GPT-2 checkpoint needs LayerNorm, learned positions, biases, a plain MLP and one KV head per head", nameof(c));
        w.Validate(c, directory);
        string p = transformerPrefix ? "transformer." : "";
        var tensors = new List<(string, Tensor)>
        {
            (p + "wte.weight", w.TokenEmbedding),
            (p + "wpe.weight", w.PositionEmbedding!),
        };
        for (int l = 0; l < c.Layers; l++)
        {
            var x = w.Layers[l];
            string h = $"{p}h.{l}.";
            tensors.Add((h + "ln_1.weight", x.AttnNormWeight!));
            tensors.Add((h + "ln_1.bias", x.AttnNormBias!));
            tensors.Add((h + "attn.c_attn.weight", WeightLayout.Transpose(Concat(x.Wq, x.Wk, x.Wv))));
            tensors.Add((h + "attn.c_attn.bias", Concat(x.Bq!, x.Bk!, x.Bv!)));
            tensors.Add((h + "attn.c_proj.weight", WeightLayout.Transpose(x.Wo)));
            tensors.Add((h + "attn.c_proj.bias", x.Bo!));
            tensors.Add((h + "ln_2.weight", x.MlpNormWeight!));
            tensors.Add((h + "ln_2.bias", x.MlpNormBias!));
            tensors.Add((h + "mlp.c_fc.weight", WeightLayout.Transpose(x.WUp)));
            tensors.Add((h + "mlp.c_fc.bias", x.BUp!));
            tensors.Add((h + "mlp.c_proj.weight", WeightLayout.Transpose(x.WDown)));
            tensors.Add((h + "mlp.c_proj.bias", x.BDown!));
        }
        tensors.Add((p + "ln_f.weight", w.FinalNormWeight!));
        tensors.Add((p + "ln_f.bias", w.FinalNormBias!));
        if (!ReferenceEquals(w.Unembedding, w.TokenEmbedding)) tensors.Add(("lm_head.weight", w.Unembedding));
        SafetensorsWriter.WriteCheckpoint(directory, tensors, shards);

        WriteConfig(directory, j =>
        {
            j.WriteString("model_type", "gpt2");
            j.WriteStartArray("architectures");
            j.WriteStringValue("GPT2LMHeadModel");
            j.WriteEndArray();
            j.WriteNumber("n_layer", c.Layers);
            j.WriteNumber("n_head", c.Heads);
            j.WriteNumber("n_embd", c.ModelDim);
            j.WriteNumber("n_positions", c.MaxSeqLen);
            j.WriteNumber("n_ctx", c.MaxSeqLen);
            j.WriteNumber("vocab_size", c.VocabSize);
            if (c.MlpDim == 4 * c.ModelDim) j.WriteNull("n_inner");
            else j.WriteNumber("n_inner", c.MlpDim);
            j.WriteNumber("layer_norm_epsilon", c.NormEps);
            j.WriteString("activation_function", c.MlpActivation switch
            {
                Activation.GeluTanh => "gelu_new",
                Activation.GeluErf => "gelu",
                Activation.Relu => "relu",
                _ => "silu",
            });
            j.WriteBoolean("tie_word_embeddings", ReferenceEquals(w.Unembedding, w.TokenEmbedding));
            if (c.BosTokenId >= 0) j.WriteNumber("bos_token_id", c.BosTokenId);
            if (c.EosTokenId >= 0) j.WriteNumber("eos_token_id", c.EosTokenId);
        });
    }

    /// <summary>Writes random Llama weights as an HF directory (in <paramref name="dtype"/>) and returns them in our layout.</summary>
    public static TransformerWeights WriteHfLlama(string directory, TransformerConfig c, int seed, DType dtype = DType.F32, int shards = 1)
    {
        var w = CreateWeights(c, seed);
        WriteHfLlama(directory, c, w, dtype, shards);
        return w;
    }

    /// <summary>
    /// Writes <paramref name="w"/> (our layout: adjacent-pair RoPE rows, WUp = SiLU input) as an HF
    /// LlamaForCausalLM directory, applying HF's q/k row permutation as its converter does.
    /// </summary>
    public static void WriteHfLlama(string directory, TransformerConfig c, TransformerWeights w, DType dtype = DType.F32, int shards = 1)
    {
        if (c.Norm != NormKind.RmsNorm || !c.Rope || !c.GatedMlp || c.LearnedPositions || c.MlpBias || c.MlpActivation != Activation.Silu)
            throw new ArgumentException("a Llama checkpoint needs RMSNorm, RoPE, a SiLU-gated MLP without biases and no learned positions", nameof(c));
        w.Validate(c, directory);
        Tensor T(Tensor t) => t.To(dtype);
        int h = c.Heads, kv = c.EffectiveKvHeads;
        var tensors = new List<(string, Tensor)> { ("model.embed_tokens.weight", T(w.TokenEmbedding)) };
        for (int l = 0; l < c.Layers; l++)
        {
            var x = w.Layers[l];
            string p = $"model.layers.{l}.";
            tensors.Add((p + "input_layernorm.weight", T(x.AttnNormWeight!)));
            tensors.Add((p + "self_attn.q_proj.weight", T(HfRopePermutation.ToHf(x.Wq, h))));
            tensors.Add((p + "self_attn.k_proj.weight", T(HfRopePermutation.ToHf(x.Wk, kv))));
            tensors.Add((p + "self_attn.v_proj.weight", T(x.Wv)));
            tensors.Add((p + "self_attn.o_proj.weight", T(x.Wo)));
            if (c.AttentionBias)
            {
                tensors.Add((p + "self_attn.q_proj.bias", T(HfRopePermutation.ToHf(x.Bq!, h))));
                tensors.Add((p + "self_attn.k_proj.bias", T(HfRopePermutation.ToHf(x.Bk!, kv))));
                tensors.Add((p + "self_attn.v_proj.bias", T(x.Bv!)));
                tensors.Add((p + "self_attn.o_proj.bias", T(x.Bo!)));
            }
            tensors.Add((p + "post_attention_layernorm.weight", T(x.MlpNormWeight!)));
            tensors.Add((p + "mlp.gate_proj.weight", T(x.WUp)));
            tensors.Add((p + "mlp.up_proj.weight", T(x.WGateUp!)));
            tensors.Add((p + "mlp.down_proj.weight", T(x.WDown)));
        }
        tensors.Add(("model.norm.weight", T(w.FinalNormWeight!)));
        bool tied = ReferenceEquals(w.Unembedding, w.TokenEmbedding);
        if (!tied) tensors.Add(("lm_head.weight", T(w.Unembedding)));
        SafetensorsWriter.WriteCheckpoint(directory, tensors, shards);

        WriteConfig(directory, j =>
        {
            j.WriteString("model_type", "llama");
            j.WriteStartArray("architectures");
            j.WriteStringValue("LlamaForCausalLM");
            j.WriteEndArray();
            j.WriteNumber("hidden_size", c.ModelDim);
            j.WriteNumber("intermediate_size", c.MlpDim);
            j.WriteNumber("num_hidden_layers", c.Layers);
            j.WriteNumber("num_attention_heads", c.Heads);
            j.WriteNumber("num_key_value_heads", kv);
            if (c.HeadDim * c.Heads != c.ModelDim) j.WriteNumber("head_dim", c.HeadDim);
            j.WriteNumber("rms_norm_eps", c.NormEps);
            j.WriteNumber("rope_theta", c.RopeTheta);
            j.WriteNumber("vocab_size", c.VocabSize);
            j.WriteNumber("max_position_embeddings", c.MaxSeqLen);
            j.WriteBoolean("tie_word_embeddings", tied);
            j.WriteBoolean("attention_bias", c.AttentionBias);
            j.WriteString("hidden_act", "silu");
            j.WriteString("torch_dtype", dtype switch { DType.BF16 => "bfloat16", DType.F16 => "float16", _ => "float32" });
            if (c.BosTokenId >= 0) j.WriteNumber("bos_token_id", c.BosTokenId);
            if (c.EosTokenId >= 0) j.WriteNumber("eos_token_id", c.EosTokenId);
        });
    }

    private static void WriteConfig(string directory, Action<Utf8JsonWriter> body)
    {
        Directory.CreateDirectory(directory);
        using var fs = File.Create(Path.Combine(directory, ConfigJson.FileName));
        using var j = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        j.WriteStartObject();
        body(j);
        j.WriteEndObject();
    }

    /// <summary>Tensors stacked along the first axis (q|k|v into GPT-2's fused c_attn).</summary>
    private static Tensor Concat(params Tensor[] parts)
    {
        var dims = parts[0].Shape.Dims.ToArray();
        dims[0] = parts.Sum(t => t.Shape[0]);
        var result = Tensor.Empty(DType.F32, dims);
        int row = 0;
        foreach (var t in parts)
        {
            t.Span.CopyTo(result.Rows(row, t.Shape[0]).Span);
            row += t.Shape[0];
        }
        return result;
    }

    /// <summary>Standard normal · <see cref="Std"/> by Box–Muller, two values per pair of uniforms.</summary>
    private static void FillNormal(Random rng, Span<float> span)
    {
        for (int i = 0; i < span.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * Std, theta = 2.0 * Math.PI * u2;
            span[i] = (float)(r * Math.Cos(theta));
            if (i + 1 < span.Length) span[i + 1] = (float)(r * Math.Sin(theta));
        }
    }
}
