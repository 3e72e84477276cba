using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class Llama2cMappedLoadTests
{
    /// <summary>dim 8, hidden 16, 2 layers, 2 heads, 2 kv heads, vocab 10, seq_len 4, shared classifier.</summary>
    private static readonly int[] Header = [8, 16, 2, 2, 2, 10, 4];
    /// <summary>dim 16 (64-byte rows), hidden 32, 2 layers, 2 heads, 2 kv heads, vocab 10, seq_len 4, shared classifier.</summary>
    private static readonly int[] WideHeader = [16, 32, 2, 2, 2, 10, 4];

    private static float[] WriteFile(string path, int[] header)
    {
        int d = header[0], f = header[1], L = header[2], V = header[5], T = header[6], hd = d / header[3];
        int count = V * d + L * d + 4 * L * d * d + L * d + 3 * L * f * d + d + T * hd;
        var floats = new float[count];
        for (int i = 0; i < count; i++) floats[i] = i * 0.001f;
        using var w = new BinaryWriter(File.Create(path));
        foreach (int h in header) w.Write(h);
        foreach (float v in floats) w.Write(v);
        return floats;
    }

    [Fact]
    public void Mapped_Weights_ViewTheFileWithoutACopy_AndAWriteStaysInTheProcess()
    {
        using var dir = new TempDirectory();
        string path = dir.File("tiny.bin");
        var floats = WriteFile(path, Header);
        var (config, weights) = Llama2cLoader.Load(path, alignedCopy: false);
        Assert.Equal(8, config.ModelDim);
        Assert.IsType<MappedFile>(Assert.IsType<ExternalStorage>(weights.TokenEmbedding.Storage).Owner);
        // Wq of layer 1 starts after the embedding (10·8), rms_att (2·8) and layer 0's Wq (8·8).
        int wq1 = 10 * 8 + 2 * 8 + 8 * 8;
        Assert.Equal(floats.AsSpan(wq1, 64).ToArray(), weights.Layers[1].Wq.Span.ToArray());
        Assert.Equal(floats[^(4 * 4 + 8)..^(4 * 4)], weights.FinalNormWeight!.Span.ToArray());

        byte[] before = File.ReadAllBytes(path);
        weights.Layers[0].Wq.Span[0] = 42f;
        Assert.Equal(42f, weights.Layers[0].Wq.Span[0]);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public unsafe void AlignedCopy_PutsEveryRowOnA64ByteBoundary_WithTheFilesFloats()
    {
        using var dir = new TempDirectory();
        string path = dir.File("wide.bin");
        var floats = WriteFile(path, WideHeader);
        // The default for a file this small is the aligned copy.
        var (_, weights) = Llama2cLoader.Load(path);
        Assert.IsType<AlignedFileCopy>(Assert.IsType<ExternalStorage>(weights.TokenEmbedding.Storage).Owner);
        var (_, mapped) = Llama2cLoader.Load(path, alignedCopy: false);

        static long Address(Tensor t) => (long)((HostStorage)t.Storage).Pointer + t.ByteOffset;
        var layer = weights.Layers[1];
        foreach (var t in new[] { weights.TokenEmbedding, layer.Wq!, layer.Wk!, layer.Wv!, layer.Wo!, layer.WUp!, layer.WGateUp!, layer.WDown!, layer.AttnNormWeight!, weights.FinalNormWeight! })
            Assert.Equal(0, Address(t) % 64);
        Assert.Equal(mapped.Layers[1].WDown!.Span.ToArray(), layer.WDown!.Span.ToArray());
        Assert.Equal(floats.AsSpan(0, 10 * 16).ToArray(), weights.TokenEmbedding.Span.ToArray());

        byte[] before = File.ReadAllBytes(path);
        layer.Wq.Span[0] = 42f;
        Assert.Equal(42f, layer.Wq.Span[0]);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void PlacingSink_ReadsTheMappedFile_LayerByLayer_AndKeepsTheTiedReadout()
    {
        using var dir = new TempDirectory();
        string path = dir.File("wide.bin");
        var floats = WriteFile(path, WideHeader);
        var owners = new List<object?>();
        var progress = new List<(int Done, int All)>();
        // The sink copies each tensor (as an upload to a device would) and records where the host tensor lived.
        var sink = new WeightSink(t =>
        {
            owners.Add((t.Storage as ExternalStorage)?.Owner);
            var copy = Tensor.Zeros(t.Shape.Dims.ToArray());
            t.Span.CopyTo(copy.Span);
            return copy;
        }, (done, all) => progress.Add((done, all)));

        var loaded = ModelLoader.Load(path, sink);

        Assert.NotEmpty(owners);
        Assert.All(owners, o => Assert.IsType<MappedFile>(o));
        Assert.Equal([(1, 2), (2, 2)], progress);
        Assert.Same(loaded.Weights.TokenEmbedding, loaded.Weights.Unembedding);
        Assert.Equal(floats.AsSpan(0, 10 * 16).ToArray(), loaded.Weights.TokenEmbedding.Span.ToArray());
        var (_, host) = Llama2cLoader.Load(path, alignedCopy: false);
        Assert.Equal(host.Layers[1].WDown!.Span.ToArray(), loaded.Weights.Layers[1].WDown!.Span.ToArray());
        Assert.Equal(host.FinalNormWeight!.Span.ToArray(), loaded.Weights.FinalNormWeight!.Span.ToArray());
    }
}
