using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class Llama2cMappedLoadTests
{
    /// <summary>dim 8, hidden 16, 2 layers, 2 heads, 2 kv heads, vocab 10, seq_len 4, shared classifier.</summary>
    private static readonly int[] Header = [8, 16, 2, 2, 2, 10, 4];

    private static float[] WriteFile(string path)
    {
        int d = 8, f = 16, L = 2, V = 10, T = 4, hd = 4;
        int count = V * d + L * d + 4 * L * d * d + L * d + 3 * L * f * d + d + T * hd;
        var floats = new float[count];
        for (int i = 0; i < count; i++) floats[i] = i * 0.001f;
        using var w = new BinaryWriter(File.Create(path));
        foreach (int h in Header) w.Write(h);
        foreach (float v in floats) w.Write(v);
        return floats;
    }

    [Fact]
    public void Weights_ViewTheFileWithoutACopy_AndAWriteStaysInTheProcess()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny.bin");
        var floats = WriteFile(path);
        var (config, weights) = Llama2cLoader.Load(path);
        Assert.Equal(8, config.ModelDim);
        Assert.IsType<ExternalStorage>(weights.TokenEmbedding.Storage);
        // Wq of layer 1 starts after the embedding (10·8), rms_att (2·8) and layer 0's Wq (8·8).
        int wq1 = 10 * 8 + 2 * 8 + 8 * 8;
        Assert.Equal(floats.AsSpan(wq1, 64).ToArray(), weights.Layers[1].Wq.Span.ToArray());
        Assert.Equal(floats[^(4 * 4 + 8)..^(4 * 4)], weights.FinalNormWeight!.Span.ToArray());

        byte[] before = File.ReadAllBytes(path);
        weights.Layers[0].Wq.Span[0] = 42f;
        Assert.Equal(42f, weights.Layers[0].Wq.Span[0]);
        Assert.Equal(before, File.ReadAllBytes(path));
    }
}
