using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models;

/// <summary>Keys and values of every layer for positions already processed, for incremental decoding.</summary>
public sealed class KvCache
{
    public KvCache(TransformerConfig config, int batch, int maxTokens)
        : this(config, batch, maxTokens, (dtype, dims) => Tensor.Zeros(dtype, dims), DType.F32)
    {
    }

    /// <summary>A cache on <paramref name="backend"/> in <paramref name="dtype"/>, for a model made by <see cref="Transformer.OnBackend"/>.</summary>
    public KvCache(TransformerConfig config, int batch, int maxTokens, IKernelBackend backend, DType dtype)
        : this(config, batch, maxTokens, backend.Empty, dtype)
    {
    }

    private KvCache(TransformerConfig config, int batch, int maxTokens, Func<DType, int[], Tensor> allocate, DType dtype)
    {
        if (maxTokens > config.MaxSeqLen && config.LearnedPositions)
            throw new ShapeException($"{maxTokens} tokens exceed the model's {config.MaxSeqLen} learned positions");
        Batch = batch;
        MaxTokens = maxTokens;
        int kv = config.EffectiveKvHeads;
        Keys = new Tensor[config.Layers];
        Values = new Tensor[config.Layers];
        for (int l = 0; l < config.Layers; l++)
        {
            Keys[l] = allocate(dtype, [batch, maxTokens, kv, config.HeadDim]);
            Values[l] = allocate(dtype, [batch, maxTokens, kv, config.EffectiveValueDim]);
        }
        KeyMask = new bool[batch * maxTokens];
    }

    public int Batch { get; }
    public int MaxTokens { get; }
    /// <summary>Number of positions filled so far.</summary>
    public int Length { get; internal set; }
    public Tensor[] Keys { get; }
    public Tensor[] Values { get; }
    /// <summary>[batch, maxTokens]: false where the key holds a padding token.</summary>
    public bool[] KeyMask { get; }

    public void Clear() => Length = 0;
}
