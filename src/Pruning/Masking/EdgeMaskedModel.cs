using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
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
/// </summary>
public sealed class EdgeMaskedModel
{
    private readonly IKernels _k;
    private readonly HeadSlices[] _heads;
    private Tensor? _ones;

    public EdgeMaskedModel(Transformer model, int embeddingNodes)
    {
        Model = model;
        _k = model.Kernels;
        Graph = EdgeGraph.For(model.Config, embeddingNodes);
        Layout = new MaskLayout(Graph);
        _heads = model.Weights.Layers.Select(w => HeadSlices.Of(w, model.Config)).ToArray();
    }

    public Transformer Model { get; }
    public TransformerConfig Config => Model.Config;
    public EdgeGraph Graph { get; }
    public MaskLayout Layout { get; }
    public int Writers => Graph.Writers.Count;
    public long EdgeCount => Layout.EdgeCount;

    /// <summary>
    /// Runs the edge-masked model on <paramref name="tokens"/> (batch × T, row-major).
    /// <paramref name="baseline"/> [writers, batch·T·d] holds ỹ (null: zero ablation);
    /// <paramref name="edgeMasks"/> [edges] and <paramref name="nodeMasks"/> [writers] default to all ones.
    /// With a <paramref name="tape"/>, the backward into the masks is recorded on it. With an
    /// <paramref name="arena"/>, every tensor of the pass (the returned ones included) lives there and is
    /// valid until the arena is reset. With <paramref name="baselineGrad"/>, the backward also fills
    /// <see cref="MaskedPass.BaselineGrad"/> (for a learned baseline: optimal-constant ablation).
    /// </summary>
    public MaskedPass Forward(ReadOnlySpan<int> tokens, int batch, Tensor? baseline = null, Tensor? edgeMasks = null,
        Tensor? nodeMasks = null, Tape? tape = null, TensorArena? arena = null, bool baselineGrad = false)
    {
        var c = Config;
        Tensor Z(params int[] dims) => arena?.Zeros(dims) ?? Tensor.Zeros(dims);
        if (batch <= 0 || tokens.Length % batch != 0) throw new ShapeException($"{tokens.Length} tokens do not split into {batch} sequences");
        int T = tokens.Length / batch, n = tokens.Length, d = c.ModelDim, nd = n * d, W = Writers;
        if (T > c.MaxSeqLen) throw new ShapeException($"sequence of {T} tokens exceeds the model's {c.MaxSeqLen} positions");
        if (baseline is not null && (baseline.Shape.Rows != W || baseline.Shape.Cols != nd))
            throw new ShapeException($"baseline {baseline.Shape} does not match [{W}, {nd}]");
        var z = edgeMasks ?? Ones(EdgeCount);
        if (z.Count != EdgeCount) throw new ShapeException($"{z.Count} edge masks for a graph of {EdgeCount} edges");
        if (nodeMasks is not null && nodeMasks.Count != W) throw new ShapeException($"{nodeMasks.Count} node masks for {W} writers");
        bool grad = tape is { IsRecording: true };

        var pass = new MaskedPass
        {
            Batch = batch,
            Tokens = T,
            Logits = Z(batch, T, c.EffectiveOutputSize),
            Outputs = Z(W, nd),
            LogitsGrad = Z(batch, T, c.EffectiveOutputSize),
            EdgeGrad = Z(checked((int)EdgeCount)),
            NodeGrad = Z(W),
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
            for (int b = 0; b < batch; b++) pe.Rows(0, T).Span.CopyTo(pos.Rows(b * T, T).Span);
        }
        int e = Graph.EmbeddingNodes;
        if (e == 0)
        {
            tok.Span.CopyTo(corruptedSum.Span);
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
            if (baseline is not null) System.Numerics.Tensors.TensorPrimitives.Subtract(y.Span, baseline.Row(w).Span, row.Span);
            else y.Span.CopyTo(row.Span);
            if (diff is not null) row.Span.CopyTo(diff.Row(w).Span);
            float m = nodeMasks is null ? 1f : nodeMasks.Span[w];
            if (m != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(row.Span, m, row.Span);
            if (baseline is not null) _k.Add(corruptedSum, baseline.Row(w), corruptedSum);
            if (!grad) return;
            tape!.Record(() =>
            {
                var g = dD!.Row(w);
                if (diff is not null) pass.NodeGrad.Span[w] += System.Numerics.Tensors.TensorPrimitives.Dot(g.Span, diff.Row(w).Span);
                if (pass.BaselineGrad is { } db)
                {
                    // ỹ_w enters D[w] = m·(y − ỹ) and the corrupted sum of every later reader.
                    var dbw = db.Row(w).Span;
                    readerGradSum!.Span.CopyTo(dbw);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(g.Span, -m, dbw, dbw);
                }
                if (backward is null) return;
                var dy = Z(checked((int)g.Count));
                System.Numerics.Tensors.TensorPrimitives.Multiply(g.Span, m, dy.Span);
                backward(dy);
            });
        }

        // X[readers, nd] = C + Z[readers, visible]·D[0:visible]; the backward adds dZ = dX·Dᵀ and dD += Zᵀ·dX.
        Tensor Read(int firstReader, int readers, int visible, out Tensor? dX)
        {
            var x = Z(readers, nd);
            var zBlock = z.Rows((int)Layout.Offset(firstReader), readers * visible).Reshape(readers, visible);
            var dVisible = D.Rows(0, visible);
            MaskedEdgeSumOp.Forward(_k, zBlock, default, dVisible, corruptedSum, x);
            dX = null;
            if (!grad) return x;
            var gx = dX = Z(readers, nd);
            var gz = pass.EdgeGrad.Rows((int)Layout.Offset(firstReader), readers * visible).Reshape(readers, visible);
            tape!.Record(() =>
            {
                MaskedEdgeSumOp.Backward(_k, zBlock, default, dVisible, gx, gz, dD!.Rows(0, visible));
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
            var norm = new ReaderNorm(c, w.AttnNormWeight, w.AttnNormBias);
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
                            if (c.Rope) RopeOp.BackwardInPlace(dq![r].Reshape(batch, T, 1, hd), 0, c.RopeTheta);
                            LinearOp.Backward(_k, dq![r], hs.Wq[r], dRow);
                        }
                        else if (r < H + KV)
                        {
                            int g = r - H;
                            if (c.Rope) RopeOp.BackwardInPlace(dk![g].Reshape(batch, T, 1, hd), 0, c.RopeTheta);
                            LinearOp.Backward(_k, dk![g], hs.Wk[g], dRow);
                        }
                        else
                        {
                            int g = r - H - KV;
                            LinearOp.Backward(_k, dv![g], hs.Wv[g], dRow);
                        }
                    }
                    norm.Backward(dNormed.Reshape(R * n, d), dX!.Reshape(R * n, d));
                });
            }

            for (int h = 0; h < H; h++)
            {
                int g = h / group;
                var att = new AttentionOp(c.AttentionScale, c.Causal);
                var o = Z(n, vd);
                att.Forward(q[h].Reshape(batch, T, 1, hd), k[g].Reshape(batch, T, 1, hd), v[g].Reshape(batch, T, 1, vd),
                    o.Reshape(batch, T, 1, vd), keyMask);
                var y = Z(n, d);
                LinearOp.Forward(_k, o, hs.Wo[h], hs.BoShare, y);
                int head = h;
                Write(Graph.HeadWriter(l, h), y.Reshape(nd), grad ? dy =>
                {
                    var dO = Z(n, vd);
                    LinearOp.Backward(_k, dy.Reshape(n, d), hs.Wo[head], dO);
                    att.Backward(dO.Reshape(batch, T, 1, vd), dq![head].Reshape(batch, T, 1, hd),
                        dk![g].Reshape(batch, T, 1, hd), dv![g].Reshape(batch, T, 1, vd));
                } : null);
            }

            // MLP.
            int mlpReader = Layout.MlpReader(l);
            var xm = Read(mlpReader, 1, Graph.Readers[mlpReader].VisibleWriters, out var dXm);
            var mlpNorm = new ReaderNorm(c, w.MlpNormWeight, w.MlpNormBias);
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
                    SwiGluOp.Backward(up, gateUp, dAct, dUp, dGateUp);
                    LinearOp.Backward(_k, dGateUp, w.WGateUp!, dH);
                }
                else
                {
                    ActivationOp.Backward(c.MlpActivation, up, dAct, dUp);
                }
                LinearOp.Backward(_k, dUp, w.WUp, dH);
                mlpNorm.Backward(dH, dXm!.Reshape(n, d));
            } : null);
        }

        void Readout()
        {
            int reader = Layout.LogitsReader;
            var xf = Read(reader, 1, Graph.Readers[reader].VisibleWriters, out var dXf);
            var norm = new ReaderNorm(c, Model.Weights.FinalNormWeight, Model.Weights.FinalNormBias);
            var hf = Z(n, d);
            norm.Forward(xf.Reshape(n, d), hf);
            var logits2 = pass.Logits.Reshape(n, c.EffectiveOutputSize);
            LinearOp.Forward(_k, hf, Model.Weights.Unembedding, null, logits2);
            if (!grad) return;
            tape!.Record(() =>
            {
                var dH = Z(n, d);
                LinearOp.Backward(_k, pass.LogitsGrad.Reshape(n, c.EffectiveOutputSize), Model.Weights.Unembedding, dH);
                norm.Backward(dH, dXf!.Reshape(n, d));
            });
        }
    }

    private bool[] KeyMask(int[] ids, int batch, int T)
    {
        if (Config.PadTokenId < 0 || !ids.Contains(Config.PadTokenId)) return [];
        var mask = new bool[batch * T];
        for (int i = 0; i < ids.Length; i++) mask[i] = ids[i] != Config.PadTokenId;
        return mask;
    }

    private Tensor Ones(long count)
    {
        if (_ones is null || _ones.Count != count)
        {
            var t = Tensor.Empty(DType.F32, checked((int)count));
            t.Fill(1f);
            _ones = t;
        }
        return _ones;
    }
}
