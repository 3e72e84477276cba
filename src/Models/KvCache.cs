using EdgePruning.Runtime;

namespace EdgePruning.Models;

/// <summary>Keys and values of every layer for positions already processed, for incremental decoding.</summary>
public sealed class KvCache
{
    public KvCache(TransformerConfig config, int batch, int maxTokens)
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
            Keys[l] = Tensor.Zeros(batch, maxTokens, kv, config.HeadDim);
            Values[l] = Tensor.Zeros(batch, maxTokens, kv, config.EffectiveValueDim);
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
