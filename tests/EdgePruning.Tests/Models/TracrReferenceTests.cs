using System.Text.Json;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;

namespace EdgePruning.Tests.Models;

public class TracrReferenceTests
{
    private static LoadedModel Load(string name) => ModelLoader.Load(SharedData.Model("tracr", name + ".safetensors"));

    private static JsonElement[] Examples(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("tracr", name + ".reference_output.json")));
        return doc.RootElement.GetProperty("examples").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    private static string Token(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    /// <summary>Readout [T, outputs] of one BOS-prefixed sequence, run alone (batch 1, no cache).</summary>
    private static float[][] Run(Transformer model, TracrModelInfo info, IReadOnlyList<string> tokens)
    {
        var ids = tokens.Select(info.IdOf).ToArray();
        var output = model.Forward(ids, 1);
        int outputs = output.Shape[2];
        var flat = output.ToArray();
        return Enumerable.Range(0, ids.Length).Select(t => flat.AsSpan(t * outputs, outputs).ToArray()).ToArray();
    }

    private static IEnumerable<string[]> AllSequences(string[] alphabet, int maxLength)
    {
        for (int n = 1; n <= maxLength; n++)
        {
            var idx = new int[n];
            while (true)
            {
                yield return idx.Select(i => alphabet[i]).ToArray();
                int k = n - 1;
                while (k >= 0 && ++idx[k] == alphabet.Length) idx[k--] = 0;
                if (k < 0) break;
            }
        }
    }

    [SharedFact]
    public void Reverse_ConfigAndInfo()
    {
        var m = Load("reverse");
        var c = m.Config;
        Assert.Equal(ModelFileKind.Tracr, m.Kind);
        Assert.Equal((4, 1, 41, 12, 30, 5, 6, 3), (c.Layers, c.Heads, c.ModelDim, c.HeadDim, c.MlpDim, c.VocabSize, c.MaxSeqLen, c.EffectiveOutputSize));
        Assert.Equal((NormKind.None, false, ReadoutKind.Projection), (c.Norm, c.Causal, c.Readout));
        Assert.Equal((3, 4), (c.BosTokenId, c.PadTokenId));
        Assert.Equal(["1", "2", "3"], m.Tracr!.OutputClasses!);
    }

    [SharedFact]
    public void Reverse_ReproducesReferenceExamples()
    {
        var m = Load("reverse");
        var model = new Transformer(m.Config, m.Weights, ReferenceKernels.Instance);
        foreach (var ex in Examples("reverse"))
        {
            var tokens = ex.GetProperty("input").EnumerateArray().Select(Token).ToArray();
            var expected = ex.GetProperty("output_positions_1_to_n").EnumerateArray().Select(Token).ToArray();
            var output = Run(model, m.Tracr!, tokens);
            var got = output.Skip(1).Select(o => m.Tracr!.OutputClasses![Llama2cReferenceTests.ArgMax(o)]).ToArray();
            Assert.Equal(expected, got);
        }
    }

    [SharedFact]
    public void Reverse_ReversesEverySequenceUpToLength4()
    {
        var m = Load("reverse");
        var model = new Transformer(m.Config, m.Weights, ReferenceKernels.Instance);
        int checkedCount = 0;
        foreach (var seq in AllSequences(["1", "2", "3"], 4))
        {
            var output = Run(model, m.Tracr!, ["BOS", .. seq]);
            var got = output.Skip(1).Select(o => m.Tracr!.OutputClasses![Llama2cReferenceTests.ArgMax(o)]).ToArray();
            Assert.Equal(seq.Reverse().ToArray(), got);
            checkedCount++;
        }
        Assert.Equal(120, checkedCount);
    }

    [SharedFact]
    public void XProportion_ReproducesReferenceExamples()
    {
        var m = Load("xproportion");
        Assert.Equal(0, m.Tracr!.OutputResidualDim);
        var model = new Transformer(m.Config, m.Weights, ReferenceKernels.Instance);
        foreach (var ex in Examples("xproportion"))
        {
            var tokens = ex.GetProperty("input").EnumerateArray().Select(Token).ToArray();
            var expected = ex.GetProperty("residual_dim0_positions_1_to_n").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var output = Run(model, m.Tracr!, tokens);
            for (int i = 0; i < expected.Length; i++)
                // The reference rounds to 6 decimals.
                Assert.True(Math.Abs(output[i + 1][0] - expected[i]) <= 1e-5, $"{string.Join(" ", tokens)} position {i + 1}: {output[i + 1][0]} vs {expected[i]}");
        }
    }

    [SharedFact]
    public void XProportion_GivesFractionOfXForEverySequenceUpToLength4()
    {
        var m = Load("xproportion");
        var model = new Transformer(m.Config, m.Weights, ReferenceKernels.Instance);
        double maxError = 0;
        int checkedCount = 0;
        foreach (var seq in AllSequences(["a", "b", "c", "x"], 4))
        {
            var output = Run(model, m.Tracr!, ["BOS", .. seq]);
            int xs = 0;
            for (int i = 0; i < seq.Length; i++)
            {
                if (seq[i] == "x") xs++;
                maxError = Math.Max(maxError, Math.Abs(output[i + 1][0] - (double)xs / (i + 1)));
            }
            checkedCount++;
        }
        Assert.Equal(340, checkedCount);
        Assert.True(maxError <= 1e-5, $"max abs error {maxError}");
    }
}
