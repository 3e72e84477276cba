using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// A transformer with its residual stream replaced by explicit edges. Every writer (embedding nodes,
/// heads, MLPs) keeps its own output; every reader (each head's Q, K, V input, each MLP input, the
/// readout) reads x_r = C_r + Σ_w z[r,w]·(y_w − ỹ_w), where ỹ is the baseline (the corrupted run's
/// writer outputs under interchange ablation, zero under zero ablation) and C_r = Σ_w ỹ_w over the
/// writers r sees (plus the unmasked clean embedding when embeddings are not nodes). Edge masks z = 1
/// reproduce the plain forward; z = 0 reproduces the baseline run. The reads of a layer are one matrix
/// product over the append-only stack of writer contributions.
/// <para>
/// Every operation of the forward and of the recorded backward goes through the model's backend (its
/// kernels and gradient kernels), so the same pass runs on the host or, for a model built with
/// <see cref="Transformer.OnBackend"/>, on a GPU. Activations and their gradients take the weights' dtype;
/// masks and mask gradients are f32.
/// </para>
/// </summary>
public sealed class EdgeMaskedModel
{
    private readonly IKernelBackend _backend;
    private readonly IKernels _k;
    private readonly IGradientKernels _g;
    private readonly HeadSlices[] _heads;
    private Tensor? _ones;

    public EdgeMaskedModel(Transformer model, int embeddingNodes)
    {
        Model = model;
        _k = model.Kernels;
        _backend = model.Backend ?? new CpuKernelBackend(model.Kernels);
        _g = _backend.Gradients;
        Graph = EdgeGraph.For(model.Config, embeddingNodes);
        Layout = new MaskLayout(Graph);
        _heads = model.Weights.Layers.Select(w => HeadSlices.Of(w, model.Config, _backend)).ToArray();
    }

    public Transformer Model { get; }
    public TransformerConfig Config => Model.Config;
    public EdgeGraph Graph { get; }
    public MaskLayout Layout { get; }
    public int Writers => Graph.Writers.Count;
    public long EdgeCount => Layout.EdgeCount;

    /// <summary>Where the pass runs: the model's backend, or the host over the model's kernels.</summary>
    public IKernelBackend Backend => _backend;

    /// <summary>Whether the weights (and so every tensor of a pass) live in device memory.</summary>
    public bool OnDevice => Model.Weights.TokenEmbedding.IsOnDevice;

    /// <summary>
    /// Runs the edge-masked model on <paramref name="tokens"/> (batch × T, row-major).
    /// <paramref name="baseline"/> [writers, batch·T·d] holds ỹ (null: zero ablation);
    /// <paramref name="edgeMasks"/> [edges] and <paramref name="nodeMasks"/> [writers] default to all ones.
    /// Tensors passed in live where the model does. With a <paramref name="tape"/>, the backward into the
    /// masks is recorded on it. The pass's tensors (the returned ones included) come from
    /// <paramref name="arena"/> (host) or <paramref name="scope"/> when given, and are valid until it is
    /// reset or disposed; otherwise from the backend. With <paramref name="baselineGrad"/>, the backward
    /// also fills <see cref="MaskedPass.BaselineGrad"/> (for a learned baseline: optimal-constant ablation).
    /// </summary>
    public MaskedPass Forward(ReadOnlySpan<int> tokens, int batch, Tensor? baseline = null, Tensor? edgeMasks = null,
        Tensor? nodeMasks = null, Tape? tape = null, TensorArena? arena = null, bool baselineGrad = false, ITensorScope? scope = null)
    {
        var c = Config;
        var memory = new PassMemory(_backend, _g, arena, scope);
        var at = Model.DType;
        Tensor Z(params int[] dims) => memory.Zeros(at, dims);
        Tensor Z32(params int[] dims) => memory.Zeros(DType.F32, dims);
        if (batch <= 0 || tokens.Length % batch != 0) throw new ShapeException($"{tokens.Length} tokens do not split into {batch} sequences");
        int T = tokens.Length / batch, n = tokens.Length, d = c.ModelDim, nd = n * d, W = Writers;
        if (T > c.MaxSeqLen) throw new ShapeException($"sequence of {T} tokens exceeds the model's {c.MaxSeqLen} positions");
        if (baseline is not null && (baseline.Shape.Rows != W || baseline.Shape.Cols != nd))
            throw new ShapeException($"baseline {baseline.Shape} does not match [{W}, {nd}]");
        var z = edgeMasks ?? Ones(memory);
        if (z.Count != EdgeCount) throw new ShapeException($"{z.Count} edge masks for a graph of {EdgeCount} edges");
        if (nodeMasks is not null && nodeMasks.Count != W) throw new ShapeException($"{nodeMasks.Count} node masks for {W} writers");
        RequirePlaced("edge masks", z);
        RequirePlaced("node masks", nodeMasks);
        RequirePlaced("baseline", baseline);
        // Node masks scale whole rows, so the kernels take them as scalars: read them once.
        float[]? m = nodeMasks is null ? null : (nodeMasks.IsOnDevice ? _backend.Download(nodeMasks) : nodeMasks).Span.ToArray();
        bool grad = tape is { IsRecording: true };

        var pass = new MaskedPass
        {
            Batch = batch,
            Tokens = T,
            Logits = Z(batch, T, c.EffectiveOutputSize),
            Outputs = Z(W, nd),
            LogitsGrad = Z(batch, T, c.EffectiveOutputSize),
            EdgeGrad = Z32(checked((int)EdgeCount)),
            NodeGrad = Z32(W),
            BaselineGrad = baselineGrad && grad ? Z(W, nd) : null,
        };
        // Σ of the reader gradients seen so far by the backward: every reader read after writer w has
        // ỹ_w in its corrupted sum, and exactly those readers are behind it in the backward.
        var readerGradSum = pass.BaselineGrad is not null ? Z(nd) : null;
        var D = pass.Outputs;
        var dD = grad ? Z(W, nd) : null;
        // y − ỹ before the node mask, needed for the node-mask gradient.
        var diff = nodeMasks is not null && grad ? Z(W, nd) : null;
        var corruptedSum = Z(nd); // Σ ỹ of the writers completed so far (+ clean embedding when e = 0)
        var ids = tokens.ToArray();
        var keyMask = KeyMask(ids, batch, T);

        // Embeddings.
        var tok = Z(n, d);
        _k.Embedding(Model.Weights.TokenEmbedding, ids, tok);
        Tensor? pos = null;
        if (Model.Weights.PositionEmbedding is { } pe)
        {
            pos = Z(n, d);
            for (int b = 0; b < batch; b++) _k.Copy(pe.Rows(0, T), pos.Rows(b * T, T));
        }
        int e = Graph.EmbeddingNodes;
        if (e == 0)
        {
            _k.Copy(tok.Reshape(nd), corruptedSum);
            if (pos is not null) _k.Add(corruptedSum, pos.Reshape(nd), corruptedSum);
        }
        else if (e == 1)
        {
            if (pos is not null) _k.Add(tok, pos, tok);
            Write(0, tok.Reshape(nd));
        }
        else
        {
            Write(0, tok.Reshape(nd));
            Write(1, pos!.Reshape(nd));
        }

        for (int l = 0; l < c.Layers; l++) Layer(l);
        Readout();
        return pass;

        // Stores writer w's output y as D[w] = m·(y − ỹ) and adds ỹ to the running baseline sum; the
        // backward turns dD[w] into dy (returned through the callback) and dm.
        void Write(int w, Tensor y, Action<Tensor>? backward = null)
        {
            var row = D.Row(w);
            _k.Copy(y, row);
            if (baseline is not null) _g.Axpy(-1f, baseline.Row(w), row);
            if (diff is not null) _k.Copy(row, diff.Row(w));
            float mw = m is null ? 1f : m[w];
            if (mw != 1f) _g.Scale(row, mw, row);
            if (baseline is not null) _k.Add(corruptedSum, baseline.Row(w), corruptedSum);
            if (!grad) return;
            tape!.Record(() =>
            {
                var g = dD!.Row(w);
                // dm_w += ⟨dD[w], y − ỹ⟩
                if (diff is not null) AddProduct(g.Reshape(1, nd), diff.Row(w).Reshape(1, nd), pass.NodeGrad.Rows(w, 1).Reshape(1, 1));
                if (pass.BaselineGrad is { } db)
                {
                    // ỹ_w enters D[w] = m·(y − ỹ) and the corrupted sum of every later reader.
                    var dbw = db.Row(w);
                    _k.Copy(readerGradSum!, dbw);
                    _g.Axpy(-mw, g, dbw);
                }
                if (backward is null) return;
                var dy = Z(nd);
                _g.Scale(g, mw, dy);
                backward(dy);
            });
        }

        // c32[m,n] += a[m,k]·b[n,k]ᵀ, through a product in the activations' dtype when that is not f32.
        void AddProduct(Tensor a, Tensor b, Tensor c32)
        {
            if (a.DType == DType.F32)
            {
                _k.Gemm(a, false, b, true, c32, 1f, 1f);
                return;
            }
            var product = Z(c32.Shape.Rows, c32.Shape.Cols);
            _k.Gemm(a, false, b, true, product);
            var wide = Z32(c32.Shape.Rows, c32.Shape.Cols);
            _k.Copy(product, wide);
            _k.Add(c32, wide, c32);
        }

        // X[readers, nd] = C + Z[readers, visible]·D[0:visible]; the backward adds dZ = dX·Dᵀ and dD += Zᵀ·dX.
        Tensor Read(int firstReader, int readers, int visible, out Tensor? dX)
        {
            var x = Z(readers, nd);
            for (int r = 0; r < readers; r++) _k.Copy(corruptedSum, x.Row(r));
            var zBlock = z.Rows((int)Layout.Offset(firstReader), readers * visible).Reshape(readers, visible);
            if (at != DType.F32)
            {
                var narrow = Z(readers, visible);
                _k.Copy(zBlock, narrow);
                zBlock = narrow;
            }
            var dVisible = D.Rows(0, visible);
            if (visible > 0) _k.Gemm(zBlock, false, dVisible, false, x, 1f, 1f);
            dX = null;
            if (!grad) return x;
            var gx = dX = Z(readers, nd);
            var gz = pass.EdgeGrad.Rows((int)Layout.Offset(firstReader), readers * visible).Reshape(readers, visible);
            tape!.Record(() =>
            {
                if (visible > 0)
                {
                    AddProduct(gx, dVisible, gz);
                    _k.Gemm(zBlock, true, gx, false, dD!.Rows(0, visible), 1f, 1f);
                }
                if (readerGradSum is not null)
                    for (int r = 0; r < readers; r++) _k.Add(readerGradSum, gx.Row(r), readerGradSum);
            });
            return x;
        }

        void Layer(int l)
        {
            var w = Model.Weights.Layers[l];
            var hs = _heads[l];
            int H = c.Heads, KV = c.EffectiveKvHeads, hd = c.HeadDim, vd = c.EffectiveValueDim, group = H / KV;
            int first = Layout.FirstAttentionReader(l), R = Layout.AttentionReaders;
            int visible = Layout.AttentionVisible(l);

            var x = Read(first, R, visible, out var dX);
            // Every attention reader of a layer goes through the same norm weights: one call over R·n rows.
            var normed = Z(R, nd);
            var norm = new ReaderNorm(c, w.AttnNormWeight, w.AttnNormBias, _k, _g);
            norm.Forward(x.Reshape(R * n, d), normed.Reshape(R * n, d));
            var q = new Tensor[H]; var k = new Tensor[KV]; var v = new Tensor[KV];
            for (int h = 0; h < H; h++) { q[h] = Z(n, hd); LinearOp.Forward(_k, normed.Row(h).Reshape(n, d), hs.Wq[h], hs.Bq[h], q[h]); }
            for (int g = 0; g < KV; g++)
            {
                k[g] = Z(n, hd); LinearOp.Forward(_k, normed.Row(H + g).Reshape(n, d), hs.Wk[g], hs.Bk[g], k[g]);
                v[g] = Z(n, vd); LinearOp.Forward(_k, normed.Row(H + KV + g).Reshape(n, d), hs.Wv[g], hs.Bv[g], v[g]);
            }
            if (c.Rope)
            {
                foreach (var t in q) RopeOp.Forward(_k, t.Reshape(batch, T, 1, hd), 0, c.RopeTheta);
                foreach (var t in k) RopeOp.Forward(_k, t.Reshape(batch, T, 1, hd), 0, c.RopeTheta);
            }
            var dq = grad ? q.Select(t => Z(n, hd)).ToArray() : null;
            var dk = grad ? k.Select(t => Z(n, hd)).ToArray() : null;
            var dv = grad ? v.Select(t => Z(n, vd)).ToArray() : null;

            // Backward of the Q/K/V side, recorded before the heads so that it runs after all of them.
            if (grad)
            {
                tape!.Record(() =>
                {
                    var dNormed = Z(R, nd);
                    for (int r = 0; r < R; r++)
                    {
                        var dRow = dNormed.Row(r).Reshape(n, d);
                        if (r < H)
                        {
                            if (c.Rope) _g.RopeBackward(dq![r].Reshape(batch, T, 1, hd), 0, c.RopeTheta);
                            LinearOp.Backward(_k, dq![r], hs.Wq[r], dRow);
                        }
                        else if (r < H + KV)
                        {
                            int g = r - H;
                            if (c.Rope) _g.RopeBackward(dk![g].Reshape(batch, T, 1, hd), 0, c.RopeTheta);
                            LinearOp.Backward(_k, dk![g], hs.Wk[g], dRow);
                        }
                        else
                        {
                            int g = r - H - KV;
                            LinearOp.Backward(_k, dv![g], hs.Wv[g], dRow);
                        }
                    }
                    norm.Backward(x.Reshape(R * n, d), dNormed.Reshape(R * n, d), dX!.Reshape(R * n, d));
                });
            }

            for (int h = 0; h < H; h++)
            {
                int g = h / group;
                var o = Z(n, vd);
                _k.Attention(q[h].Reshape(batch, T, 1, hd), k[g].Reshape(batch, T, 1, hd), v[g].Reshape(batch, T, 1, vd),
                    o.Reshape(batch, T, 1, vd), T, 0, c.Causal, c.AttentionScale, keyMask);
                var y = Z(n, d);
                LinearOp.Forward(_k, o, hs.Wo[h], hs.BoShare, y);
                int head = h;
                Write(Graph.HeadWriter(l, h), y.Reshape(nd), grad ? dy =>
                {
                    var dO = Z(n, vd);
                    LinearOp.Backward(_k, dy.Reshape(n, d), hs.Wo[head], dO);
                    _g.AttentionBackward(q[head].Reshape(batch, T, 1, hd), k[g].Reshape(batch, T, 1, hd), v[g].Reshape(batch, T, 1, vd),
                        dO.Reshape(batch, T, 1, vd), dq![head].Reshape(batch, T, 1, hd), dk![g].Reshape(batch, T, 1, hd),
                        dv![g].Reshape(batch, T, 1, vd), c.Causal, c.AttentionScale, keyMask);
                } : null);
            }

            // MLP.
            int mlpReader = Layout.MlpReader(l);
            var xm = Read(mlpReader, 1, Graph.Readers[mlpReader].VisibleWriters, out var dXm);
            var mlpNorm = new ReaderNorm(c, w.MlpNormWeight, w.MlpNormBias, _k, _g);
            var hm = Z(n, d);
            mlpNorm.Forward(xm.Reshape(n, d), hm);
            var up = Z(n, c.MlpDim);
            LinearOp.Forward(_k, hm, w.WUp, w.BUp, up);
            var act = Z(n, c.MlpDim);
            Tensor? gateUp = null;
            if (w.WGateUp is { } w3)
            {
                gateUp = Z(n, c.MlpDim);
                LinearOp.Forward(_k, hm, w3, null, gateUp);
                SwiGluOp.Forward(_k, up, gateUp, act);
            }
            else
            {
                ActivationOp.Forward(_k, c.MlpActivation, up, act);
            }
            var ym = Z(n, d);
            LinearOp.Forward(_k, act, w.WDown, w.BDown, ym);
            Write(Graph.MlpWriter(l), ym.Reshape(nd), grad ? dy =>
            {
                var dAct = Z(n, c.MlpDim);
                LinearOp.Backward(_k, dy.Reshape(n, d), w.WDown, dAct);
                var dUp = Z(n, c.MlpDim);
                var dH = Z(n, d);
                if (gateUp is not null)
                {
                    var dGateUp = Z(n, c.MlpDim);
                    _g.SwiGluBackward(up, gateUp, dAct, dUp, dGateUp);
                    LinearOp.Backward(_k, dGateUp, w.WGateUp!, dH);
                }
                else
                {
                    _g.ActivationBackward(c.MlpActivation, up, dAct, dUp);
                }
                LinearOp.Backward(_k, dUp, w.WUp, dH);
                mlpNorm.Backward(xm.Reshape(n, d), dH, dXm!.Reshape(n, d));
            } : null);
        }

        void Readout()
        {
            int reader = Layout.LogitsReader;
            var xf = Read(reader, 1, Graph.Readers[reader].VisibleWriters, out var dXf);
            var norm = new ReaderNorm(c, Model.Weights.FinalNormWeight, Model.Weights.FinalNormBias, _k, _g);
            var hf = Z(n, d);
            norm.Forward(xf.Reshape(n, d), hf);
            var logits2 = pass.Logits.Reshape(n, c.EffectiveOutputSize);
            LinearOp.Forward(_k, hf, Model.Weights.Unembedding, null, logits2);
            if (!grad) return;
            tape!.Record(() =>
            {
                var dH = Z(n, d);
                LinearOp.Backward(_k, pass.LogitsGrad.Reshape(n, c.EffectiveOutputSize), Model.Weights.Unembedding, dH);
                norm.Backward(xf.Reshape(n, d), dH, dXf!.Reshape(n, d));
            });
        }
    }

    private void RequirePlaced(string what, Tensor? t)
    {
        if (t is not null && t.IsOnDevice != OnDevice)
            throw new ShapeException($"{what} live on {t.Storage.Location}; the model lives on {Model.Weights.TokenEmbedding.Storage.Location}");
    }

    private bool[] KeyMask(int[] ids, int batch, int T)
    {
        if (Config.PadTokenId < 0 || !ids.Contains(Config.PadTokenId)) return [];
        var mask = new bool[batch * T];
        for (int i = 0; i < ids.Length; i++) mask[i] = ids[i] != Config.PadTokenId;
        return mask;
    }

    /// <summary>All-ones edge masks: kept on the host, made for the pass on a device.</summary>
    private Tensor Ones(PassMemory memory)
    {
        if (OnDevice)
        {
            var t = memory.Zeros(DType.F32, checked((int)EdgeCount));
            _g.Fill(t, 1f);
            return t;
        }
        if (_ones is null || _ones.Count != EdgeCount)
        {
            var t = Tensor.Empty(DType.F32, checked((int)EdgeCount));
            t.Fill(1f);
            _ones = t;
        }
        return _ones;
    }
}
