using System.Text.Json.Nodes;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class HfGpt2LoaderTests
{
    private static readonly TransformerConfig Small = KnownShapes.Gpt2(layers: 2, heads: 4, dim: 32, vocab: 50, positions: 16);
    private static readonly int[] Tokens = [3, 17, 42, 0, 49, 8, 8, 21];

    private static float[] Logits(TransformerConfig c, TransformerWeights w) =>
        new Transformer(c, w, ReferenceKernels.Instance).Forward(Tokens, 1).ToArray();

    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        Assert.True(max <= tolerance, $"max abs difference {max} > {tolerance}");
    }

    [Fact]
    public void SingleFile_LoadsToTheWeightsThatWereWritten()
    {
        using var dir = new TempDirectory();
        var written = RandomModelWriter.WriteHfGpt2(dir.Path, Small, seed: 1);
        var (config, weights) = HfGpt2Loader.Load(dir.Path);
        Assert.Equal(Small, config);
        Assert.Same(weights.TokenEmbedding, weights.Unembedding);
        Assert.Equal(written.Layers[1].Wv.ToArray(), weights.Layers[1].Wv.ToArray());
        Assert.Equal(written.Layers[0].WDown.ToArray(), weights.Layers[0].WDown.ToArray());
        AssertClose(Logits(Small, written), Logits(config, weights), 0);
    }

    [Fact]
    public void Sharded_EqualsSingleFile()
    {
        using var single = new TempDirectory();
        using var sharded = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(single.Path, Small, seed: 2);
        RandomModelWriter.WriteHfGpt2(sharded.Path, Small, seed: 2, shards: 2, transformerPrefix: true);
        Assert.True(File.Exists(sharded.File(SafetensorsIndex.IndexFileName)));
        Assert.True(File.Exists(sharded.File("model-00002-of-00002.safetensors")));
        using (var index = SafetensorsIndex.OpenDirectory(sharded.Path))
            Assert.Equal(2, index.Shards.Count(s => s.Entries.Count > 0));

        var a = ModelLoader.Load(single.Path);
        var b = ModelLoader.Load(sharded.Path);
        Assert.Equal(ModelFileKind.HfGpt2, b.Kind);
        AssertClose(Logits(a.Config, a.Weights), Logits(b.Config, b.Weights), 0);
    }

    [Fact]
    public void Logits_MatchAPlainLoopForwardOverTheStoredConv1DTensors()
    {
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(dir.Path, Small, seed: 3);
        var (config, weights) = HfGpt2Loader.Load(dir.Path);
        double[,] expected;
        using (var file = SafetensorsFile.Open(dir.File(SafetensorsIndex.SingleFileName)))
            expected = PlainGpt2Forward(file, Small, Tokens);
        var actual = Logits(config, weights);
        int vocab = Small.VocabSize;
        double max = 0;
        for (int t = 0; t < Tokens.Length; t++)
        for (int v = 0; v < vocab; v++)
            max = Math.Max(max, Math.Abs(expected[t, v] - actual[t * vocab + v]));
        Assert.True(max <= 1e-5, $"max abs difference {max}");
    }

    [Fact]
    public void UntiedHead_IsKeptSeparate()
    {
        using var dir = new TempDirectory();
        var c = Small with { TiedEmbeddings = false };
        var written = RandomModelWriter.WriteHfGpt2(dir.Path, c, seed: 4);
        var (config, weights) = HfGpt2Loader.Load(dir.Path);
        Assert.False(config.TiedEmbeddings);
        Assert.NotSame(weights.TokenEmbedding, weights.Unembedding);
        AssertClose(Logits(c, written), Logits(config, weights), 0);
    }

    [Fact]
    public void NInnerNull_MeansFourTimesTheWidth_AndGeluNewIsTanh()
    {
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(dir.Path, Small, seed: 5);
        Assert.Contains("\"n_inner\": null", File.ReadAllText(dir.File("config.json")));
        var c = HfGpt2Loader.ReadConfig(dir.Path);
        Assert.Equal(128, c.MlpDim);
        Assert.Equal(Activation.GeluTanh, c.MlpActivation);
    }

    [Fact]
    public void ConfigDisagreeingWithTensors_NamesTheTensor()
    {
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(dir.Path, Small, seed: 6);
        var json = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!;
        json["n_embd"] = 48;
        File.WriteAllText(dir.File("config.json"), json.ToJsonString());
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("wte.weight", ex.Message);
        Assert.Contains("[50, 32]", ex.Message);
        Assert.Contains("[50, 48]", ex.Message);
    }

    [Fact]
    public void MissingShard_IsNamed()
    {
        using var dir = new TempDirectory();
        RandomModelWriter.WriteHfGpt2(dir.Path, Small, seed: 7, shards: 2);
        File.Delete(dir.File("model-00002-of-00002.safetensors"));
        var ex = Assert.Throws<ModelFormatException>(() => ModelLoader.Load(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
        Assert.Contains("not found", ex.Message);
    }

    [Fact]
    public void MissingTensor_IsNamed()
    {
        using var dir = new TempDirectory();
        var w = RandomModelWriter.CreateWeights(Small, 8);
        RandomModelWriter.WriteHfGpt2(dir.Path, Small, w);
        // Rewrite the file without ln_f.bias.
        string path = dir.File(SafetensorsIndex.SingleFileName);
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
            foreach (var name in file.Names.Where(n => n != "ln_f.bias"))
                writer.Add(name, file.ReadF32(name));
        writer.Write(path);
        var ex = Assert.Throws<ModelFormatException>(() => HfGpt2Loader.Load(dir.Path));
        Assert.Contains("ln_f.bias", ex.Message);
    }

    /// <summary>
    /// GPT-2 written out with plain loops in double precision, reading HF's tensors as stored (Conv1D:
    /// y = x·W with W [in, out]; c_attn columns q|k|v), so that it shares no layout code with the loader.
    /// </summary>
    private static double[,] PlainGpt2Forward(SafetensorsFile f, TransformerConfig c, int[] tokens)
    {
        int T = tokens.Length, d = c.ModelDim, H = c.Heads, hd = d / H, ff = c.MlpDim, V = c.VocabSize;
        double eps = c.NormEps;
        float[] W(string name) => f.ReadF32(name).ToArray();

        var x = new double[T, d];
        var wte = W("wte.weight");
        var wpe = W("wpe.weight");
        for (int t = 0; t < T; t++)
        for (int i = 0; i < d; i++)
            x[t, i] = wte[tokens[t] * d + i] + wpe[t * d + i];

        double[,] LayerNorm(double[,] input, string prefix)
        {
            var g = W(prefix + ".weight");
            var b = W(prefix + ".bias");
            var y = new double[T, d];
            for (int t = 0; t < T; t++)
            {
                double mean = 0, var = 0;
                for (int i = 0; i < d; i++) mean += input[t, i];
                mean /= d;
                for (int i = 0; i < d; i++) var += (input[t, i] - mean) * (input[t, i] - mean);
                var /= d;
                for (int i = 0; i < d; i++) y[t, i] = (input[t, i] - mean) / Math.Sqrt(var + eps) * g[i] + b[i];
            }
            return y;
        }

        double[,] Conv1D(double[,] input, int inDim, int outDim, string prefix)
        {
            var w = W(prefix + ".weight");
            var b = W(prefix + ".bias");
            var y = new double[T, outDim];
            for (int t = 0; t < T; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = b[o];
                for (int i = 0; i < inDim; i++) s += input[t, i] * w[i * outDim + o];
                y[t, o] = s;
            }
            return y;
        }

        for (int l = 0; l < c.Layers; l++)
        {
            string p = $"h.{l}.";
            var qkv = Conv1D(LayerNorm(x, p + "ln_1"), d, 3 * d, p + "attn.c_attn");
            var att = new double[T, d];
            for (int h = 0; h < H; h++)
            for (int t = 0; t < T; t++)
            {
                var scores = new double[t + 1];
                double max = double.NegativeInfinity;
                for (int s = 0; s <= t; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += qkv[t, h * hd + i] * qkv[s, d + h * hd + i];
                    scores[s] = dot / Math.Sqrt(hd);
                    max = Math.Max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) sum += scores[s] = Math.Exp(scores[s] - max);
                for (int s = 0; s <= t; s++)
                for (int i = 0; i < hd; i++)
                    att[t, h * hd + i] += scores[s] / sum * qkv[s, 2 * d + h * hd + i];
            }
            var o = Conv1D(att, d, d, p + "attn.c_proj");
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) x[t, i] += o[t, i];

            var hidden = Conv1D(LayerNorm(x, p + "ln_2"), d, ff, p + "mlp.c_fc");
            for (int t = 0; t < T; t++)
            for (int i = 0; i < ff; i++)
            {
                double v = hidden[t, i];
                hidden[t, i] = 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            }
            var m = Conv1D(hidden, ff, d, p + "mlp.c_proj");
            for (int t = 0; t < T; t++) for (int i = 0; i < d; i++) x[t, i] += m[t, i];
        }

        var final = LayerNorm(x, "ln_f");
        var logits = new double[T, V];
        for (int t = 0; t < T; t++)
        for (int v = 0; v < V; v++)
        {
            double s = 0;
            for (int i = 0; i < d; i++) s += final[t, i] * wte[v * d + i];
            logits[t, v] = s;
        }
        return logits;
    }
}
