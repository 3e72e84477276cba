using System.Runtime.InteropServices;
using EdgePruning.Models;

namespace EdgePruning.Bench;

/// <summary>
/// Writes random weights in llama2.c's version-0 checkpoint format (the layout <c>Llama2cLoader</c> reads),
/// byte for byte the same file as <c>bench/c-reference/forward gen OUT SEED</c>: splitmix64 mapped to
/// uniform floats in [−0.05, 0.05), norm weights 1, and the (unused) RoPE tables of the export.
/// </summary>
public static class Llama2cRandomWriter
{
    /// <summary>Writes a checkpoint of <paramref name="config"/>'s shape; the classifier is shared.</summary>
    public static void Write(string path, TransformerConfig config, ulong seed)
    {
        int dim = config.ModelDim, hidden = config.MlpDim, layers = config.Layers, heads = config.Heads;
        int kvHeads = config.EffectiveKvHeads, headSize = dim / heads, kvDim = kvHeads * headSize;
        long L = layers, d = dim, h = hidden;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<int> header = [dim, hidden, layers, heads, kvHeads, config.VocabSize, config.MaxSeqLen];
        file.Write(MemoryMarshal.AsBytes(header));

        ulong state = seed;
        var buffer = new float[4096];
        void Random(long count)
        {
            while (count > 0)
            {
                int m = (int)Math.Min(count, buffer.Length);
                for (int i = 0; i < m; i++) buffer[i] = UniformWeight(ref state);
                file.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, m)));
                count -= m;
            }
        }
        void Constant(long count, float value)
        {
            buffer.AsSpan().Fill(value);
            while (count > 0)
            {
                int m = (int)Math.Min(count, buffer.Length);
                file.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, m)));
                count -= m;
            }
        }

        Random(config.VocabSize * d); // tok_embeddings
        Constant(L * d, 1f);          // rms_att
        Random(L * d * d);            // wq
        Random(L * kvDim * d);        // wk
        Random(L * kvDim * d);        // wv
        Random(L * d * d);            // wo
        Constant(L * d, 1f);          // rms_ffn
        Random(L * h * d);            // w1
        Random(L * d * h);            // w2
        Random(L * h * d);            // w3
        Constant(d, 1f);              // rms_final
        var table = new float[config.MaxSeqLen * headSize / 2];
        for (int part = 0; part < 2; part++)
        {
            for (int p = 0; p < config.MaxSeqLen; p++)
            for (int i = 0; i < headSize / 2; i++)
            {
                double freq = Math.Pow(10000.0, -(double)(2 * i) / headSize);
                table[p * (headSize / 2) + i] = (float)(part == 0 ? Math.Cos(p * freq) : Math.Sin(p * freq));
            }
            file.Write(MemoryMarshal.AsBytes(table.AsSpan()));
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static float UniformWeight(ref ulong state)
    {
        float u = (SplitMix64(ref state) >> 40) * (1f / 16777216f);
        return (u * 2f - 1f) * 0.05f;
    }
}
