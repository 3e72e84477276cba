using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// llama2.c checkpoints (run.c's version-0 export): 7 int32 header fields
/// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means an
/// unshared classifier follows), then f32 arrays with every matrix stored [out, in].
/// </summary>
public static class Llama2cLoader
{
    public const int HeaderBytes = 7 * sizeof(int);

    public static bool LooksLike(string path) =>
        path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) && File.Exists(path);

    public static TransformerConfig ReadConfig(string path, out bool sharedClassifier)
    {
        var bytes = ReadHeader(path);
        return ConfigFromHeader(path, bytes, new FileInfo(path).Length, out sharedClassifier);
    }

    /// <summary>
    /// Loads with the weights copied to 64-byte boundaries when the file is at most a quarter of the memory this
    /// process may use, and viewed through a mapping of the file otherwise.
    /// </summary>
    public static (TransformerConfig Config, TransformerWeights Weights) Load(string path) =>
        Load(path, alignedCopy: File.Exists(path) && new FileInfo(path).Length <= AlignedCopyLimit());

    /// <summary>
    /// <paramref name="alignedCopy"/>: read the file once into memory where every float row of a width that is a
    /// multiple of 16 starts on a 64-byte boundary (in the file they all start 28 bytes past one, and a matrix-vector
    /// product streams rows that straddle cache lines about a third slower); otherwise the weights view the mapped
    /// file, with no read into memory and no copy per tensor, its pages coming in as the first forward touches them.
    /// </summary>
    public static (TransformerConfig Config, TransformerWeights Weights) Load(string path, bool alignedCopy)
    {
        long length = new FileInfo(path).Length;
        var header = ReadHeader(path);
        var config = ConfigFromHeader(path, header, length, out bool shared);
        var storage = alignedCopy ? AlignedFileCopy.Read(path, HeaderBytes).Storage : MappedFile.Open(path).Storage;
        return (config, Slice(config, storage, shared));
    }

    /// <summary>
    /// Loads for <paramref name="sink"/>: on the host as <see cref="Load(string)"/>; where the sink places tensors (a GPU),
    /// through a mapping of the file with no read into memory, handing the sink one layer at a time, so that the host holds
    /// no copy of the weights (only the file's pages that the upload is reading).
    /// </summary>
    public static (TransformerConfig Config, TransformerWeights Weights) Load(string path, WeightSink sink)
    {
        if (!sink.Places) return Load(path);
        var (config, mapped) = Load(path, alignedCopy: false);
        var layers = new LayerWeights[config.Layers];
        for (int l = 0; l < layers.Length; l++) layers[l] = sink.TakeLayer(l, layers.Length, mapped.Layers[l]);
        var embedding = sink.Take(mapped.TokenEmbedding);
        var head = ReferenceEquals(mapped.Unembedding, mapped.TokenEmbedding) ? embedding : sink.Take(mapped.Unembedding);
        return (config, new TransformerWeights
        {
            TokenEmbedding = embedding, Layers = layers, FinalNormWeight = sink.TakeOptional(mapped.FinalNormWeight), Unembedding = head,
        });
    }

    /// <summary>A quarter of the memory available to the process: above it the file stays mapped, never held twice.</summary>
    private static long AlignedCopyLimit() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    private static int[] ReadHeader(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        using var fs = File.OpenRead(path);
        if (fs.Length < HeaderBytes) throw new ModelFormatException($"{path}: {fs.Length} bytes is too short for a llama2.c header");
        Span<byte> b = stackalloc byte[HeaderBytes];
        fs.ReadExactly(b);
        var h = new int[7];
        for (int i = 0; i < 7; i++) h[i] = BitConverter.ToInt32(b.Slice(i * 4, 4));
        return h;
    }

    private static TransformerConfig ConfigFromHeader(string path, int[] h, long fileLength, out bool shared)
    {
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = h[5], seqLen = h[6];
        shared = vocab > 0;
        vocab = Math.Abs(vocab);
        bool plausible = dim > 0 && hidden > 0 && layers > 0 && heads > 0 && kvHeads > 0 && vocab > 0 && seqLen > 0
            && dim % heads == 0 && heads % kvHeads == 0 && dim <= 1 << 16 && layers <= 1024 && vocab <= 1 << 22 && seqLen <= 1 << 20;
        if (!plausible)
            throw new ModelFormatException($"{path}: not a llama2.c checkpoint (header dim={dim} hidden={hidden} layers={layers} heads={heads} kv_heads={kvHeads} vocab={h[5]} seq_len={seqLen})");
        int headDim = dim / heads;
        var config = new TransformerConfig
        {
            Family = ModelFamily.Llama,
            Layers = layers, Heads = heads, KvHeads = kvHeads, ModelDim = dim, HeadDim = headDim,
            MlpDim = hidden, VocabSize = vocab, MaxSeqLen = seqLen,
            Norm = NormKind.RmsNorm, NormEps = 1e-5f, MlpActivation = Activation.Silu, GatedMlp = true,
            Rope = true, RopeTheta = 10000f, Causal = true, TiedEmbeddings = shared,
            BosTokenId = 1, EosTokenId = 2,
        };
        long expected = HeaderBytes + 4L * FloatCount(config, shared);
        if (fileLength != expected)
            throw new ModelFormatException($"{path}: {fileLength:N0} bytes, but a llama2.c checkpoint of this header has {expected:N0} (truncated or not this format)");
        return config;
    }

    private static long FloatCount(TransformerConfig c, bool shared)
    {
        long d = c.ModelDim, L = c.Layers, kvDim = (long)c.EffectiveKvHeads * c.HeadDim, hd = c.HeadDim;
        long n = c.VocabSize * d + L * d + L * d * d + 2 * L * kvDim * d + L * d * d + L * d + 3 * L * c.MlpDim * d + d
            + 2 * (c.MaxSeqLen * hd / 2);
        if (!shared) n += c.VocabSize * d;
        return n;
    }

    private static TransformerWeights Slice(TransformerConfig c, Storage data, bool shared)
    {
        long offset = HeaderBytes;
        Tensor Take(params int[] dims)
        {
            var t = Tensor.Wrap(data, offset, DType.F32, dims);
            offset += t.Count * sizeof(float);
            return t;
        }
        int d = c.ModelDim, L = c.Layers, kvDim = c.EffectiveKvHeads * c.HeadDim, f = c.MlpDim;
        var emb = Take(c.VocabSize, d);
        var rmsAtt = Take(L, d);
        var wq = Take(L, d, d);
        var wk = Take(L, kvDim, d);
        var wv = Take(L, kvDim, d);
        var wo = Take(L, d, d);
        var rmsFfn = Take(L, d);
        var w1 = Take(L, f, d);
        var w2 = Take(L, d, f);
        var w3 = Take(L, f, d);
        var rmsFinal = Take(d);
        offset += (long)c.MaxSeqLen * c.HeadDim * sizeof(float); // freq_cis_real and freq_cis_imag: unused, RoPE is computed
        var cls = shared ? emb : Take(c.VocabSize, d);
        var layers = new LayerWeights[L];
        for (int l = 0; l < L; l++)
        {
            layers[l] = new LayerWeights
            {
                AttnNormWeight = rmsAtt.Row(l),
                Wq = wq.Row(l), Wk = wk.Row(l), Wv = wv.Row(l), Wo = wo.Row(l),
                MlpNormWeight = rmsFfn.Row(l),
                WUp = w1.Row(l), WGateUp = w3.Row(l), WDown = w2.Row(l),
            };
        }
        return new TransformerWeights { TokenEmbedding = emb, Layers = layers, FinalNormWeight = rmsFinal, Unembedding = cls };
    }
}
