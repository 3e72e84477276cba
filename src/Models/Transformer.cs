using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Models;

/// <summary>
/// The plain forward pass of every family (GPT-2, Llama, Tracr) over a batch of equal-length sequences,
/// with an optional <see cref="KvCache"/> for incremental decoding. Scratch buffers are kept between
/// calls, so repeated decoding steps allocate nothing. Every operation goes through the kernels, so the
/// same forward runs on a GPU when it is built on a device backend (<see cref="OnBackend"/>); there the
/// activations share the weights' dtype and the returned logits are a device tensor.
/// </summary>
public sealed class Transformer
{
    private readonly IKernels _k;
    private readonly Func<DType, int[], Tensor> _allocate;
    private Workspace? _ws;

    public Transformer(TransformerConfig config, TransformerWeights weights, IKernels kernels, string source = "model")
        : this(config, weights, kernels, null, (dtype, dims) => Tensor.Zeros(dtype, dims), source)
    {
    }

    private Transformer(TransformerConfig config, TransformerWeights weights, IKernels kernels, IKernelBackend? backend,
        Func<DType, int[], Tensor> allocate, string source)
    {
        config.Validate(source);
        weights.Validate(config, source);
        Config = config;
        Weights = weights;
        _k = kernels;
        Backend = backend;
        _allocate = allocate;
    }

    /// <summary>
    /// The model on <paramref name="backend"/>: host weights copied there once in <paramref name="dtype"/>, scratch
    /// and logits allocated there. Valid until the backend is reset.
    /// </summary>
    public static Transformer OnBackend(TransformerConfig config, TransformerWeights hostWeights, IKernelBackend backend, DType dtype,
        string source = "model") =>
        new(config, hostWeights.Map(t => backend.Upload(t, dtype)), backend.Kernels, backend, backend.Empty, source);

    /// <summary>
    /// The model over weights already on <paramref name="backend"/> (made there, as random benchmark weights are),
    /// its scratch and logits allocated there. <paramref name="kernels"/> stands in for the backend's own kernels
    /// when given (a recording wrapper of them).
    /// </summary>
    public static Transformer Placed(TransformerConfig config, TransformerWeights weights, IKernelBackend backend, IKernels? kernels = null,
        string source = "model") =>
        new(config, weights, kernels ?? backend.Kernels, backend, backend.Empty, source);

    /// <summary>The dtype of activations and logits: the weights' dtype.</summary>
    public DType DType => Weights.DType;

    public TransformerConfig Config { get; }
    public TransformerWeights Weights { get; }
    public IKernels Kernels => _k;

    /// <summary>The backend the model was built on with <see cref="OnBackend"/>; null for a host model built from its kernels.</summary>
    public IKernelBackend? Backend { get; }

    /// <summary>
    /// Runs <paramref name="tokens"/> (batch × tokensPerSequence ids, row-major) and returns the readout
    /// [batch, T, outputs] (T = 1 with <paramref name="lastOnly"/>). With a cache, the tokens continue the
    /// cached positions and are appended to it. The logits come from <paramref name="scope"/> when given (valid
    /// until it is disposed), else they are fresh (on a backend: until it is reset). With <paramref name="readRows"/>
    /// (token rows b·T + t, at most batch·T of them) the readout runs at those rows only and returns [rows, outputs].
    /// <paramref name="logits"/>, when given, receives the readout instead of a fresh tensor (token-by-token
    /// decoding and the pruning steps reuse one, so a step allocates nothing); it must hold exactly the readout's elements.
    /// </summary>
    public Tensor Forward(ReadOnlySpan<int> tokens, int batch, KvCache? cache = null, bool lastOnly = false, ITensorScope? scope = null,
        int[]? readRows = null, Tensor? logits = null)
    {
        var c = Config;
        if (batch <= 0 || tokens.Length % batch != 0)
            throw new ShapeException($"{tokens.Length} tokens do not split into {batch} sequences");
        int T = tokens.Length / batch, n = tokens.Length;
        int start = cache?.Length ?? 0;
        int keyCount = start + T;
        if (cache is not null && (cache.Batch != batch || keyCount > cache.MaxTokens))
            throw new ShapeException($"the cache holds {cache.Batch}×{cache.MaxTokens} positions; {batch}×{keyCount} needed");
        if (c.LearnedPositions && keyCount > c.MaxSeqLen)
            throw new ShapeException($"sequence of {keyCount} tokens exceeds the model's {c.MaxSeqLen} positions");

        var ws = _ws = Workspace.Ensure(_ws, c, n, _allocate, DType);
        int d = c.ModelDim, kv = c.EffectiveKvHeads;
        var x = ws.Residual.Rows(0, n);
        var h = ws.Normed.Rows(0, n);

        _k.Embedding(Weights.TokenEmbedding, tokens, x);
        if (Weights.PositionEmbedding is { } pos)
        {
            var p = ws.Positions.Rows(0, n);
            for (int b = 0; b < batch; b++)
                _k.Copy(pos.Rows(start, T), p.Rows(b * T, T));
            _k.Add(x, p, x);
        }

        // Keys at padding positions are hidden from attention (Tracr's compiler_pad).
        bool[] mask = cache?.KeyMask ?? ws.KeyMask(batch * keyCount);
        int maskStride = cache?.MaxTokens ?? keyCount;
        bool anyPad = false;
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < T; t++)
        {
            bool keep = tokens[b * T + t] != c.PadTokenId;
            mask[b * maskStride + start + t] = keep;
            anyPad |= !keep;
        }
        if (cache is not null) for (int i = 0; i < batch * maskStride && !anyPad; i++) anyPad |= i % maskStride < start && !mask[i];

        for (int l = 0; l < c.Layers; l++)
        {
            var w = Weights.Layers[l];
            Normalize(x, w.AttnNormWeight, w.AttnNormBias, h);

            var q = ws.Query.Rows(0, n);
            _k.Linear(h, w.Wq, w.Bq, q);
            Tensor keys, values;
            if (cache is null)
            {
                keys = ws.Key.Rows(0, n).Reshape(batch, T, kv, c.HeadDim);
                values = ws.Value.Rows(0, n).Reshape(batch, T, kv, c.EffectiveValueDim);
                _k.Linear(h, w.Wk, w.Bk, keys.Reshape(n, -1));
                _k.Linear(h, w.Wv, w.Bv, values.Reshape(n, -1));
                if (c.Rope) _k.Rope(keys, start, c.RopeTheta);
            }
            else
            {
                var kNew = ws.Key.Rows(0, n);
                var vNew = ws.Value.Rows(0, n);
                _k.Linear(h, w.Wk, w.Bk, kNew);
                _k.Linear(h, w.Wv, w.Bv, vNew);
                if (c.Rope) _k.Rope(kNew.Reshape(batch, T, kv, c.HeadDim), start, c.RopeTheta);
                keys = cache.Keys[l];
                values = cache.Values[l];
                for (int b = 0; b < batch; b++)
                {
                    _k.Copy(kNew.Rows(b * T, T), keys.Row(b).Rows(start, T));
                    _k.Copy(vNew.Rows(b * T, T), values.Row(b).Rows(start, T));
                }
            }
            var q4 = q.Reshape(batch, T, c.Heads, c.HeadDim);
            if (c.Rope) _k.Rope(q4, start, c.RopeTheta);

            var att = ws.Attended.Rows(0, n);
            _k.Attention(q4, keys, values, att.Reshape(batch, T, c.Heads, c.EffectiveValueDim), keyCount, start,
                c.Causal, c.AttentionScale, anyPad ? mask.AsSpan(0, batch * maskStride) : default);
            var o = ws.Projected.Rows(0, n);
            _k.Linear(att, w.Wo, w.Bo, o);
            _k.Add(x, o, x);

            Normalize(x, w.MlpNormWeight, w.MlpNormBias, h);
            var up = ws.Hidden.Rows(0, n);
            _k.Linear(h, w.WUp, w.BUp, up);
            if (w.WGateUp is { } w3)
            {
                var gateUp = ws.Hidden2.Rows(0, n);
                _k.Linear(h, w3, null, gateUp);
                _k.SwiGlu(up, gateUp, up);
            }
            else
            {
                _k.Activate(c.MlpActivation, up, up);
            }
            _k.Linear(up, w.WDown, w.BDown, o);
            _k.Add(x, o, x);
        }
        if (cache is not null) cache.Length = keyCount;

        Tensor finalIn = x;
        int outRows = n;
        if (readRows is not null)
        {
            if (readRows.Length > n || readRows.Any(r => (uint)r >= (uint)n))
                throw new ShapeException($"read rows must be at most {n} rows below {n}");
            var picked = ws.Projected.Rows(0, readRows.Length);
            _k.Embedding(x, readRows, picked);
            var pickedNormed = ws.Normed.Rows(0, readRows.Length);
            Normalize(picked, Weights.FinalNormWeight, Weights.FinalNormBias, pickedNormed);
            var picks = Output(readRows.Length);
            _k.Linear(pickedNormed, Weights.Unembedding, null, picks);
            return picks;
        }
        if (lastOnly)
        {
            var last = ws.Last.Rows(0, batch);
            for (int b = 0; b < batch; b++) _k.Copy(x.Row(b * T + T - 1), last.Row(b));
            finalIn = last;
            outRows = batch;
        }
        var normed = ws.Normed.Rows(0, outRows);
        Normalize(finalIn, Weights.FinalNormWeight, Weights.FinalNormBias, normed);
        var output = Output(outRows);
        _k.Linear(normed, Weights.Unembedding, null, output);
        return output.Reshape(batch, lastOnly ? 1 : T, c.EffectiveOutputSize);

        // The readout's [rows, outputs]: the caller's tensor, else from the scope, else fresh.
        Tensor Output(int rows)
        {
            if (logits is not null && logits.Count != (long)rows * c.EffectiveOutputSize)
                throw new ShapeException($"the logits tensor {logits.Shape} cannot hold {rows} × {c.EffectiveOutputSize} outputs");
            return logits?.Reshape(rows, c.EffectiveOutputSize)
                ?? scope?.Empty(DType, rows, c.EffectiveOutputSize) ?? _allocate(DType, [rows, c.EffectiveOutputSize]);
        }
    }

    private void Normalize(Tensor x, Tensor? weight, Tensor? bias, Tensor y)
    {
        switch (Config.Norm)
        {
            case NormKind.LayerNorm: _k.LayerNorm(x, weight!, bias, y, Config.NormEps); break;
            case NormKind.RmsNorm: _k.RmsNorm(x, weight!, y, Config.NormEps); break;
            default: _k.Copy(x, y); break;
        }
    }

    /// <summary>Scratch tensors sized for a number of token rows; grown, never shrunk.</summary>
    private sealed class Workspace
    {
        private bool[] _mask = [];
        public required int Capacity { get; init; }
        public required Tensor Residual, Normed, Positions, Query, Key, Value, Attended, Projected, Hidden, Hidden2, Last;

        public bool[] KeyMask(int size)
        {
            if (_mask.Length < size) _mask = new bool[size];
            return _mask;
        }

        public static Workspace Ensure(Workspace? ws, TransformerConfig c, int rows, Func<DType, int[], Tensor> allocate, DType dtype)
        {
            if (ws is not null && ws.Capacity >= rows) return ws;
            int n = Math.Max(rows, ws?.Capacity * 2 ?? 0);
            int kv = c.EffectiveKvHeads;
            Tensor New(int cols) => allocate(dtype, [n, cols]);
            return new Workspace
            {
                Capacity = n,
                Residual = New(c.ModelDim),
                Normed = New(c.ModelDim),
                Positions = New(c.ModelDim),
                Query = New(c.Heads * c.HeadDim),
                Key = New(kv * c.HeadDim),
                Value = New(kv * c.EffectiveValueDim),
                Attended = New(c.Heads * c.EffectiveValueDim),
                Projected = New(c.ModelDim),
                Hidden = New(c.MlpDim),
                Hidden2 = New(c.MlpDim),
                Last = New(c.ModelDim),
            };
        }
    }
}
