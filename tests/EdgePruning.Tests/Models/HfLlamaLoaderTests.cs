using System.Text.Json.Nodes;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class HfLlamaLoaderTests
{
    // Grouped-query attention (4 query heads on 2 KV heads), head dim 8, an unshared classifier.
    private static readonly TransformerConfig Small =
        KnownShapes.Llama(layers: 2, heads: 4, kvHeads: 2, dim: 32, mlp: 48, vocab: 40, positions: 32);
    private static readonly int[] Tokens = [1, 7, 33, 12, 12, 5, 39, 20, 2, 8];

    /// <summary>
    /// Random weights in llama2.c layout, with q/k scaled up so that attention is far from uniform and
    /// RoPE's pairing moves the logits well beyond the tolerance, and norm weights away from 1.
    /// </summary>
    private static TransformerWeights Weights(int seed)
    {
        var w = RandomModelWriter.CreateWeights(Small, seed);
        var rng = new Random(seed);
        foreach (var layer in w.Layers)
        {
            foreach (ref float v in layer.Wq.Span) v *= 10;
            foreach (ref float v in layer.Wk.Span) v *= 10;
            foreach (ref float v in layer.AttnNormWeight!.Span) v = 0.5f + (float)rng.NextDouble();
            foreach (ref float v in layer.MlpNormWeight!.Span) v = 0.5f + (float)rng.NextDouble();
        }
        foreach (ref float v in w.FinalNormWeight!.Span) v = 0.5f + (float)rng.NextDouble();
        return w;
    }

    private static float[] Logits(TransformerConfig c, TransformerWeights w) =>
        new Transformer(c, w, ReferenceKernels.Instance).Forward(Tokens, 1).ToArray();

    private static double MaxDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>HF's converter, literally: w.view(n_heads, dim1 / n_heads / 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2).</summary>
    private static float[] TorchPermute(float[] w, int nHeads, int dim1, int dim2)
    {
        int half = dim1 / nHeads / 2;
        var result = new float[w.Length];
        // Source viewed as [nHeads, half, 2, dim2]; result as [nHeads, 2, half, dim2] with result[h,a,b,:] = src[h,b,a,:].
        for (int h = 0; h < nHeads; h++)
        for (int a = 0; a < 2; a++)
        for (int b = 0; b < half; b++)
        for (int c = 0; c < dim2; c++)
            result[((h * 2 + a) * half + b) * dim2 + c] = w[((h * half + b) * 2 + a) * dim2 + c];
        return result;
    }

    [Fact]
    public void HfDirectoryWithTorchPermutedQK_GivesTheLogitsOfTheLlama2cLayoutModel()
    {
        var w = Weights(seed: 11);
        using var dir = new TempDirectory();
        string bin = dir.File("model.bin");
        WriteLlama2c(bin, Small, w);
        var (binConfig, binWeights) = Llama2cLoader.Load(bin);
        var reference = Logits(binConfig, binWeights);

        string hf = Path.Combine(dir.Path, "hf");
        WriteHfByHand(hf, Small, w, permute: true);
        var loaded = ModelLoader.Load(hf);
        Assert.Equal(ModelFileKind.HfLlama, loaded.Kind);
        Assert.True(MaxDiff(reference, Logits(loaded.Config, loaded.Weights)) <= 1e-5);

        // Without HF's permutation the same weights give other logits, so the check above has teeth.
        string unpermuted = Path.Combine(dir.Path, "hf-unpermuted");
        WriteHfByHand(unpermuted, Small, w, permute: false);
        var wrong = HfLlamaLoader.Load(unpermuted);
        Assert.True(MaxDiff(reference, Logits(wrong.Config, wrong.Weights)) > 1e-3);
    }

    [Fact]
    public void WriterPermutation_IsTorchs()
    {
        var w = RandomModelWriter.CreateWeights(Small, 12).Layers[0].Wk;
        int kvDim = Small.EffectiveKvHeads * Small.HeadDim;
        Assert.Equal(TorchPermute(w.ToArray(), Small.EffectiveKvHeads, kvDim, Small.ModelDim), HfRopePermutation.ToHf(w, Small.EffectiveKvHeads).ToArray());
        Assert.Equal(w.ToArray(), HfRopePermutation.FromHf(HfRopePermutation.ToHf(w, 2), 2).ToArray());
    }

    [Fact]
    public void RandomWriter_ShardedRoundTrip_GivesTheSameLogits()
    {
        var w = Weights(seed: 13);
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfLlama(dir.Path, Small, w, DType.F32, shards: 3);
        var (config, weights) = HfLlamaLoader.Load(dir.Path);
        Assert.Equal(Small, config);
        Assert.True(MaxDiff(Logits(Small, w), Logits(config, weights)) <= 1e-6);
    }

    [Fact]
    public void Bf16Checkpoint_LoadsAsF32OfTheRoundedWeights()
    {
        var w = Weights(seed: 14);
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfLlama(dir.Path, Small, w, DType.BF16);
        using (var index = SafetensorsIndex.OpenDirectory(dir.Path))
            Assert.Equal("BF16", index.Entry("model.layers.0.self_attn.q_proj.weight").DType);
        var (config, weights) = HfLlamaLoader.Load(dir.Path);
        Assert.Equal(DType.F32, weights.Layers[0].Wq.DType);
        var rounded = w.Layers[1].WDown.To(DType.BF16).ToF32().ToArray();
        Assert.Equal(rounded, weights.Layers[1].WDown.ToArray());
        Assert.True(MaxDiff(Logits(Small, w), Logits(config, weights)) <= 0.05);
    }

    [Fact]
    public void TiedEmbeddings_WithoutLmHead()
    {
        var c = Small with { TiedEmbeddings = true };
        using var dir = new TempDirectory();
        var w = RandomModelWriter.WriteHfLlama(dir.Path, c, seed: 15);
        var (config, weights) = HfLlamaLoader.Load(dir.Path);
        Assert.True(config.TiedEmbeddings);
        Assert.Same(weights.TokenEmbedding, weights.Unembedding);
        Assert.True(MaxDiff(Logits(c, w), Logits(config, weights)) <= 1e-6);
    }

    [Fact]
    public void UntiedConfigWithoutLmHead_NamesTheTensor()
    {
        var c = Small with { TiedEmbeddings = true };
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfLlama(dir.Path, c, seed: 16);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        json["tie_word_embeddings"] = false;
        File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        Assert.Contains("lm_head.weight", Assert.Throws<ModelFormatException>(() => HfLlamaLoader.Load(dir.Path)).Message);
    }

    /// <summary>An HF LlamaForCausalLM directory written here, independently of the library's writer.</summary>
    private static void WriteHfByHand(string dir, TransformerConfig c, TransformerWeights w, bool permute)
    {
        Directory.CreateDirectory(dir);
        int d = c.ModelDim, qDim = c.Heads * c.HeadDim, kvDim = c.EffectiveKvHeads * c.HeadDim;
        var st = new SafetensorsWriter();
        void Add(string name, Tensor t) => st.Add(name, t.Clone());
        st.Add("model.embed_tokens.weight", w.TokenEmbedding.Clone());
        for (int l = 0; l < c.Layers; l++)
        {
            var x = w.Layers[l];
            string p = $"model.layers.{l}.";
            var q = permute ? TorchPermute(x.Wq.ToArray(), c.Heads, qDim, d) : x.Wq.ToArray();
            var k = permute ? TorchPermute(x.Wk.ToArray(), c.EffectiveKvHeads, kvDim, d) : x.Wk.ToArray();
            st.Add(p + "self_attn.q_proj.weight", q, qDim, d);
            st.Add(p + "self_attn.k_proj.weight", k, kvDim, d);
            Add(p + "self_attn.v_proj.weight", x.Wv);
            Add(p + "self_attn.o_proj.weight", x.Wo);
            Add(p + "mlp.gate_proj.weight", x.WUp);
            Add(p + "mlp.up_proj.weight", x.WGateUp!);
            Add(p + "mlp.down_proj.weight", x.WDown);
            Add(p + "input_layernorm.weight", x.AttnNormWeight!);
            Add(p + "post_attention_layernorm.weight", x.MlpNormWeight!);
        }
        Add("model.norm.weight", w.FinalNormWeight!);
        Add("lm_head.weight", w.Unembedding);
        st.Write(Path.Combine(dir, "model.safetensors"));
        File.WriteAllText(Path.Combine(dir, "config.json"), $$"""
            {
              "architectures": ["LlamaForCausalLM"],
              "model_type": "llama",
              "hidden_size": {{d}},
              "intermediate_size": {{c.MlpDim}},
              "num_hidden_layers": {{c.Layers}},
              "num_attention_heads": {{c.Heads}},
              "num_key_value_heads": {{c.EffectiveKvHeads}},
              "max_position_embeddings": {{c.MaxSeqLen}},
              "vocab_size": {{c.VocabSize}},
              "rms_norm_eps": 1e-05,
              "rope_theta": 10000.0,
              "rope_scaling": null,
              "tie_word_embeddings": false,
              "torch_dtype": "float32",
              "hidden_act": "silu"
            }
            """);
    }

    /// <summary>A llama2.c version-0 checkpoint: 7 int32 header fields, then the arrays in run.c's order.</summary>
    internal static void WriteLlama2c(string path, TransformerConfig c, TransformerWeights w)
    {
        bool shared = ReferenceEquals(w.Unembedding, w.TokenEmbedding);
        using var bw = new BinaryWriter(File.Create(path));
        foreach (int v in new[] { c.ModelDim, c.MlpDim, c.Layers, c.Heads, c.EffectiveKvHeads, shared ? c.VocabSize : -c.VocabSize, c.MaxSeqLen })
            bw.Write(v);
        void Put(Tensor t) { foreach (float v in t.Span) bw.Write(v); }
        void PerLayer(Func<LayerWeights, Tensor> pick) { foreach (var l in w.Layers) Put(pick(l)); }
        Put(w.TokenEmbedding);
        PerLayer(l => l.AttnNormWeight!);
        PerLayer(l => l.Wq);
        PerLayer(l => l.Wk);
        PerLayer(l => l.Wv);
        PerLayer(l => l.Wo);
        PerLayer(l => l.MlpNormWeight!);
        PerLayer(l => l.WUp);
        PerLayer(l => l.WDown);
        PerLayer(l => l.WGateUp!);
        Put(w.FinalNormWeight!);
        for (int i = 0; i < c.MaxSeqLen * c.HeadDim; i++) bw.Write(0f); // freq_cis_real and freq_cis_imag
        if (!shared) Put(w.Unembedding);
    }
}
