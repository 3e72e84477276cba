using EdgePruning.Runtime;

namespace EdgePruning.Models.Generation;

/// <summary>
/// Autoregressive decoding with a KV cache: the prompt in one pass, then one token per step. A model on a device
/// keeps its cache there; each pass's tensors live in a scope of their own and only the last row of logits comes back.
/// </summary>
public sealed class TextGenerator
{
    private readonly Transformer _model;

    public TextGenerator(Transformer model) => _model = model;

    /// <summary>
    /// Yields up to <paramref name="steps"/> new token ids after <paramref name="prompt"/>, stopping early at
    /// <paramref name="stopToken"/> (not yielded) or at the model's context length.
    /// </summary>
    public IEnumerable<int> Generate(IReadOnlyList<int> prompt, int steps, Sampler sampler, int? stopToken = null)
    {
        if (prompt.Count == 0) throw new EdgePruningException("the prompt encodes to no tokens; give a prompt or use a model with a BOS token");
        if (steps < 0) throw new EdgePruningException($"steps must be ≥ 0, got {steps}");
        int capacity = Math.Min(_model.Config.MaxSeqLen, prompt.Count + steps);
        if (prompt.Count > capacity)
            throw new EdgePruningException($"the prompt has {prompt.Count} tokens; the model's context is {_model.Config.MaxSeqLen}");
        var backend = _model.Backend;
        var cache = backend is null ? new KvCache(_model.Config, 1, capacity) : new KvCache(_model.Config, 1, capacity, backend, _model.DType);
        var logits = Pass(prompt.ToArray(), cache);
        var next = new int[1];
        for (int i = 0; i < steps; i++)
        {
            int token = sampler.Next(logits.Span);
            if (token == stopToken) yield break;
            yield return token;
            if (cache.Length >= capacity) yield break;
            next[0] = token;
            // On the host every step writes its logits over the last step's: decoding allocates nothing per token.
            logits = Pass(next, cache, logits);
        }
    }

    /// <summary>The logits of the last of <paramref name="tokens"/>, on the host (in <paramref name="into"/> when given, for a host model).</summary>
    private Tensor Pass(int[] tokens, KvCache cache, Tensor? into = null)
    {
        if (_model.Backend is not { } backend) return _model.Forward(tokens, 1, cache, lastOnly: true, logits: into);
        using var scope = backend.OpenScope();
        return backend.Download(_model.Forward(tokens, 1, cache, lastOnly: true, scope: scope));
    }
}
