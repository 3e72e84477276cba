using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// One run of <see cref="EdgeMaskedModel.Forward"/>: the pass's tensors (difference stack, corrupted sum, their
/// gradients) and the layer code. A layer takes the tape and memory it runs under and the corrupted sum its
/// readers start from, so that the same code runs once in the forward and, under per-layer recomputation,
/// again inside the backward; everything it writes outside its own memory (stack rows, y − ỹ rows) it writes
/// with the same values each time.
/// </summary>
internal sealed class MaskedForward
{
    private readonly EdgeMaskedModel _model;
    private readonly TransformerConfig _c;
    private readonly IKernels _k;
    private readonly IGradientKernels _g;
    private readonly IMaskedReadKernels _mr;
    private readonly HeadSlices[] _heads;
    private readonly FusedReadNorms? _norms;
    private readonly bool _recompute;
    private readonly PassMemory _memory;
    private readonly Tape? _tape;
    private readonly MaskedPass _pass;
    // [edges], or [groups, edges]: run g of the batch's sequences under row g (forward only).
    private readonly Tensor _z;
    private readonly int _groups;
    private readonly Tensor? _baseline;
    // [writers] f32 where the pass runs: each writer's mask is read by the kernels, never by the host.
    private readonly Tensor? _m;
    private readonly DType _at;
    private readonly int _batch, _T, _n, _d, _nd;
    private readonly bool[] _keyMask;
    // Token rows (b·T + t) the readout computes logits at; null: every row.
    private readonly int[]? _readRows;
    private bool[]? _headsKeyMask;
    // D[w] = m_w·(y_w − ỹ_w), append-only; its gradient (f32 under the fused read, which accumulates in f32).
    private readonly Tensor _D;
    private readonly Tensor? _dD;
    // y − ỹ before the node mask, for the node-mask gradient.
    private readonly Tensor? _diff;
    // Σ ỹ of the writers completed so far (+ the clean embedding when embeddings are not nodes).
    private readonly Tensor _corruptedSum;
    // Σ of the reader gradients seen so far by the backward: every reader read after writer w has ỹ_w in its
    // corrupted sum, and exactly those readers are behind it in the backward.
    private readonly Tensor? _readerGradSum;
    // The sizes of the terms of the edge gradients, when the model asks for them (host f32 only).
    private readonly EdgeGradientTerms? _terms;

    public MaskedForward(EdgeMaskedModel model, HeadSlices[] heads, FusedReadNorms? norms, bool recompute, PassMemory memory,
        Tape? tape, MaskedPass pass, Tensor z, Tensor? baseline, Tensor? nodeMasks, bool[] keyMask, int[]? readRows = null)
    {
        _readRows = readRows;
        _model = model;
        _c = model.Config;
        _k = model.Model.Kernels;
        _g = model.Backend.Gradients;
        _mr = model.Backend.MaskedRead;
        _heads = heads;
        _norms = norms;
        _recompute = recompute;
        _memory = memory;
        _tape = tape is { IsRecording: true } ? tape : null;
        _pass = pass;
        _z = z;
        _groups = z.Shape.Rank == 2 ? z.Shape[0] : 1;
        _baseline = baseline;
        _m = nodeMasks;
        _keyMask = keyMask;
        _at = model.Model.DType;
        _batch = pass.Batch;
        _T = pass.Tokens;
        _n = _batch * _T;
        _d = _c.ModelDim;
        _nd = _n * _d;
        int W = model.Writers;
        _D = pass.Outputs;
        bool grad = _tape is not null;
        // Under the fused read dD stays f32 although the fused backward can add into a bf16 dD: on a GPU it
        // stores (and so rounds) a narrow dD once per reader tile, 15 to 30 times per call at a 13B shape, where
        // the unfused product rounds once per call.
        _dD = grad ? memory.Zeros(norms is null ? _at : DType.F32, W, _nd) : null;
        _diff = nodeMasks is not null && grad ? memory.Empty(_at, W, _nd) : null;
        _corruptedSum = memory.Zeros(_at, _nd);
        _readerGradSum = pass.BaselineGrad is not null ? memory.Zeros(norms is null ? _at : DType.F32, _nd) : null;
        _terms = grad && model.EdgeGradientTermSizes is not null ? new EdgeGradientTerms(_k, W, _nd) : null;
    }

    public void Run(int[] ids, bool readout)
    {
        Embed(ids);
        for (int l = 0; l < _c.Layers; l++) RunLayer(l);
        if (readout) Readout();
    }

    private void Embed(int[] ids)
    {
        int n = _n, d = _d, nd = _nd;
        var tok = _memory.Empty(_at, n, d);
        _k.Embedding(_model.Model.Weights.TokenEmbedding, ids, tok);
        Tensor? pos = null;
        if (_model.Model.Weights.PositionEmbedding is { } pe)
        {
            pos = _memory.Empty(_at, n, d);
            // Every sequence's positions 0..T−1 in one launch: the embedding kernel over position ids.
            var positions = new int[n];
            for (int i = 0; i < n; i++) positions[i] = i % _T;
            _k.Embedding(pe, positions, pos);
        }
        int e = _model.Graph.EmbeddingNodes;
        if (e == 0)
        {
            _k.Copy(tok.Reshape(nd), _corruptedSum);
            if (pos is not null) _k.Add(_corruptedSum, pos.Reshape(nd), _corruptedSum);
        }
        else if (e == 1)
        {
            if (pos is not null) _k.Add(tok, pos, tok);
            Write(0, tok.Reshape(nd), _tape, _memory, _corruptedSum);
        }
        else
        {
            Write(0, tok.Reshape(nd), _tape, _memory, _corruptedSum);
            Write(1, pos!.Reshape(nd), _tape, _memory, _corruptedSum);
        }
    }

    /// <summary>
    /// Runs layer <paramref name="l"/>: without a tape its tensors are given back right after it; with per-layer
    /// recomputation likewise, and the backward runs it again from the corrupted sum saved at its start.
    /// </summary>
    private void RunLayer(int l)
    {
        if (_tape is null || _recompute)
        {
            var start = _tape is null ? null : _memory.Empty(_at, _nd);
            if (start is not null) _k.Copy(_corruptedSum, start);
            using (var layer = _memory.Nested()) Layer(l, null, layer, _corruptedSum);
            if (start is null) return;
            _tape!.Record(() =>
            {
                using var layer = _memory.Nested();
                var corrupted = layer.Empty(_at, _nd);
                _k.Copy(start, corrupted);
                var inner = new Tape();
                Layer(l, inner, layer, corrupted);
                inner.Backward();
            });
            return;
        }
        Layer(l, _tape, _memory, _corruptedSum);
    }

    // Stores writer w's output y as D[w] = m·(y − ỹ) and adds ỹ to the running corrupted sum; the backward
    // turns dD[w] into dy (handed to the callback) and dm. A writer whose projection wrote its output into its
    // stack row goes to WriteRows directly.
    private void Write(int w, Tensor y, Tape? tape, PassMemory mem, Tensor corrupted, Action<Tensor>? backward = null)
    {
        _k.Copy(y, _D.Row(w));
        WriteRows(w, 1, tape, mem, corrupted, null, backward);
    }

    /// <summary>
    /// Turns the outputs y of the <paramref name="count"/> writers from <paramref name="first"/> on, already in their
    /// stack rows, into D = m·(y − ỹ), one launch per elementwise step over all their rows (a layer's heads), and adds
    /// their baselines to the corrupted sum one by one in writer order. The backward adds the node-mask and baseline
    /// gradients and writes the output gradients m·dD into <paramref name="dyInto"/> [count, n·d], or hands them to
    /// <paramref name="backward"/>.
    /// </summary>
    private void WriteRows(int first, int count, Tape? tape, PassMemory mem, Tensor corrupted, Tensor? dyInto, Action<Tensor>? backward = null)
    {
        var rows = _D.Rows(first, count);
        var baseline = _baseline?.Rows(first, count);
        _terms?.Write(first, count, rows, baseline, _m);
        if (baseline is not null) _g.Axpy(-1f, baseline, rows);
        if (_diff is not null) _k.Copy(rows, _diff.Rows(first, count));
        var m = _m?.Rows(first, count);
        if (m is not null) _g.ScaleBy(rows, m, 1f, rows, accumulate: false);
        if (_baseline is not null)
            for (int w = first; w < first + count; w++) _k.Add(corrupted, _baseline.Row(w), corrupted);
        if (tape is null) return;
        tape.Record(() =>
        {
            var g = _dD!.Rows(first, count);
            if (g.DType != _at)
            {
                var narrow = mem.Empty(_at, count, _nd);
                _k.Copy(g, narrow);
                g = narrow;
            }
            // dm_w += ⟨dD[w], y − ỹ⟩, one product per writer in one batched launch.
            if (_diff is not null)
                AddProducts(g.Reshape(count, 1, _nd), _diff.Rows(first, count).Reshape(count, 1, _nd), _pass.NodeGrad.Rows(first, count).Reshape(count, 1, 1), mem);
            if (_pass.BaselineGrad is { } db)
            {
                // ỹ_w enters D[w] = m·(y − ỹ) and the corrupted sum of every later reader.
                var dbRows = db.Rows(first, count);
                for (int i = 0; i < count; i++) _k.Copy(_readerGradSum!, dbRows.Row(i));
                if (m is null) _g.Axpy(-1f, g, dbRows);
                else _g.ScaleBy(g, m, -1f, dbRows, accumulate: true);
            }
            if (dyInto is not null)
            {
                if (m is null) _k.Copy(g, dyInto);
                else _g.ScaleBy(g, m, 1f, dyInto, accumulate: false);
                return;
            }
            if (backward is null) return;
            if (m is null)
            {
                backward(g.Reshape(_nd));
                return;
            }
            var dy = mem.Empty(_at, _nd);
            _g.ScaleBy(g, m, 1f, dy, accumulate: false);
            backward(dy);
        });
    }

    // c32[i] += a[i]·b[i]ᵀ for every i of the batch [B, m, k]·[B, n, k]ᵀ → [B, m, n], through a product in the
    // activations' dtype when that is not f32.
    private void AddProducts(Tensor a, Tensor b, Tensor c32, PassMemory mem)
    {
        if (a.DType == DType.F32)
        {
            _k.BatchedGemm(a, false, b, true, c32, 1f, 1f);
            return;
        }
        var product = mem.Empty(_at, c32.Shape.Dims.ToArray());
        _k.BatchedGemm(a, false, b, true, product);
        var wide = mem.Empty(DType.F32, c32.Shape.Dims.ToArray());
        _k.Copy(product, wide);
        _k.Add(c32, wide, c32);
    }

    /// <summary>
    /// The normed inputs [readers, n·d] of the readers firstReader.. (which share one norm), read from the first
    /// <paramref name="visible"/> stack rows and <paramref name="corrupted"/>. With a tape, <paramref name="dNormed"/>
    /// is the gradient the readers' backward fills; the backward recorded here carries it into the masks, the
    /// stack and the reader-gradient sum.
    /// </summary>
    private Tensor ReadNormed(int firstReader, int readers, int visible, ReaderNorm norm, MaskedReadNorm? fused,
        Tape? tape, PassMemory mem, Tensor corrupted, out Tensor? dNormed)
    {
        int n = _n, d = _d, nd = _nd;
        var zBlock = MaskBlock(firstReader, readers, visible, mem);
        var stack = _D.Rows(0, visible);
        var normed = mem.Empty(_at, readers, nd);
        dNormed = tape is null ? null : mem.Zeros(_at, readers, nd);
        var gz = tape is null ? null : _pass.EdgeGrad.Rows((int)_model.Layout.Offset(firstReader), readers * visible).Reshape(readers, visible);
        bool beta = norm.HasBias;
        if (fused is not null)
        {
            // The fused read takes the corrupted sum in f32 and recomputes x from it in the backward: a copy as
            // of now, since the running sum moves on.
            var c32 = corrupted;
            if (tape is not null || corrupted.DType != DType.F32)
            {
                c32 = mem.Empty(DType.F32, nd);
                _k.Copy(corrupted, c32);
            }
            bool layerNorm = fused.Kind == MaskedReadNormKind.LayerNorm;
            var mean = tape is not null && layerNorm ? mem.Empty(DType.F32, readers, n) : null;
            var rstd = tape is not null ? mem.Empty(DType.F32, readers, n) : null;
            Timed(false, readers, visible, beta, () => _mr.Forward(zBlock, stack, c32, fused, normed, mean, rstd));
            if (tape is null) return normed;
            var dY = dNormed!;
            tape.Record(() => Timed(true, readers, visible, beta,
                () => _mr.Backward(zBlock, stack, c32, fused, mean, rstd!, dY, gz, _dD!.Rows(0, visible), _readerGradSum)));
            return normed;
        }

        var x = mem.Empty(_at, readers, nd);
        var zAt = zBlock;
        if (_at != DType.F32) zAt = mem.Empty(_at, zBlock.Shape.Dims.ToArray());
        if (_groups > 1)
        {
            Timed(false, readers, visible, beta, () =>
            {
                if (_at != DType.F32) _k.Copy(zBlock, zAt);
                GroupedSum(zAt, stack, corrupted, x, mem);
                norm.Forward(x.Reshape(readers * n, d), normed.Reshape(readers * n, d));
            });
            return normed;
        }
        Timed(false, readers, visible, beta, () =>
        {
            for (int r = 0; r < readers; r++) _k.Copy(corrupted, x.Row(r));
            if (_at != DType.F32) _k.Copy(zBlock, zAt);
            if (visible > 0) _k.Gemm(zAt, false, stack, false, x, 1f, 1f);
            // One norm call over every reader's rows: the readers of a group share the norm's weights.
            norm.Forward(x.Reshape(readers * n, d), normed.Reshape(readers * n, d));
        });
        if (tape is null) return normed;
        var gy = dNormed!;
        tape.Record(() =>
        {
            var gx = mem.Zeros(_at, readers, nd);
            Timed(true, readers, visible, beta, () =>
            {
                norm.Backward(x.Reshape(readers * n, d), gy.Reshape(readers * n, d), gx.Reshape(readers * n, d));
                if (visible > 0)
                {
                    AddProducts(gx.Reshape(1, readers, nd), stack.Reshape(1, visible, nd), gz!.Reshape(1, readers, visible), mem);
                    _terms?.Add(gx, visible, _model.EdgeGradientTermSizes!.Rows((int)_model.Layout.Offset(firstReader), readers * visible).Reshape(readers, visible));
                    _k.Gemm(zAt, true, gx, false, _dD!.Rows(0, visible), 1f, 1f);
                }
                if (_readerGradSum is not null)
                    for (int r = 0; r < readers; r++) _k.Add(_readerGradSum, gx.Row(r), _readerGradSum);
            });
        });
        return normed;
    }

    /// <summary>
    /// The masks of the readers firstReader.. over their first <paramref name="visible"/> writers: a view [R, U] of the
    /// pass's masks, or under grouped masks a copy [G, R, U] of each group's block.
    /// </summary>
    private Tensor MaskBlock(int firstReader, int readers, int visible, PassMemory mem)
    {
        int offset = (int)_model.Layout.Offset(firstReader), size = readers * visible;
        if (_groups == 1) return _z.Rows(offset, size).Reshape(readers, visible);
        var block = mem.Empty(DType.F32, _groups, readers, visible);
        if (size > 0)
            for (int g = 0; g < _groups; g++) _k.Copy(_z.Row(g).Rows(offset, size), block.Row(g).Reshape(size));
        return block;
    }

    /// <summary>
    /// x [R, n·d] = C + z_g·D over each group g's columns, unfused, under grouped masks z [G, R, U] (in the activations'
    /// dtype). A group's tokens are one run of m = n·d/G columns of every row of D and x, so the sum is one batched
    /// product over the groups between two row gathers: D's blocks [U·G, m] regrouped to [G, U, m], the product into
    /// x_g [G, R, m] (which starts as C's block of its group), and x_g's rows put back in reader order.
    /// </summary>
    private void GroupedSum(Tensor z, Tensor stack, Tensor corrupted, Tensor x, PassMemory mem)
    {
        int G = _groups, R = z.Shape[1], U = z.Shape[2], m = _nd / G;
        var xg = mem.Empty(_at, G, R, m);
        _k.Embedding(corrupted.Reshape(G, m), GatherIds(G, R, (g, r) => g), xg.Reshape(G * R, m));
        if (U > 0)
        {
            var dg = mem.Empty(_at, G, U, m);
            _k.Embedding(stack.Reshape(U * G, m), GatherIds(G, U, (g, u) => u * G + g), dg.Reshape(G * U, m));
            _k.BatchedGemm(z, false, dg, false, xg, 1f, 1f);
        }
        _k.Embedding(xg.Reshape(G * R, m), GatherIds(R, G, (r, g) => g * R + r), x.Reshape(R * G, m));
    }

    /// <summary>ids[i·inner + j] = id(i, j): the rows a gather takes, in the order it writes them.</summary>
    private static int[] GatherIds(int outer, int inner, Func<int, int, int> id)
    {
        var ids = new int[outer * inner];
        for (int i = 0; i < outer; i++)
        for (int j = 0; j < inner; j++) ids[i * inner + j] = id(i, j);
        return ids;
    }

    /// <summary>Runs a read, timed by the model's <see cref="ReadTimer"/> when it has one (and the reads have a norm to count bytes by).</summary>
    private void Timed(bool backward, int readers, int visible, bool beta, Action read)
    {
        var timer = _model.ReadTimer;
        if (timer is null || _c.Norm == NormKind.None)
        {
            read();
            return;
        }
        var shape = new MaskedReadShape(readers, visible, _n, _d);
        var kind = _c.Norm == NormKind.LayerNorm ? MaskedReadNormKind.LayerNorm : MaskedReadNormKind.RmsNorm;
        timer.Time(backward, backward ? shape.BackwardBytes(kind, _at, _at, _dD?.DType ?? _at) : shape.ForwardBytes(kind, beta, _at, _at), read);
    }

    private void Layer(int l, Tape? tape, PassMemory mem, Tensor corrupted)
    {
        var c = _c;
        var w = _model.Model.Weights.Layers[l];
        var hs = _heads[l];
        var layout = _model.Layout;
        var graph = _model.Graph;
        int batch = _batch, T = _T, n = _n, d = _d, nd = _nd;
        int H = c.Heads, KV = c.EffectiveKvHeads, hd = c.HeadDim, vd = c.EffectiveValueDim, group = H / KV;
        int R = layout.AttentionReaders;
        bool grad = tape is not null;
        Tensor Z(params int[] dims) => mem.Zeros(_at, dims);
        Tensor E(params int[] dims) => mem.Empty(_at, dims);

        var norm = new ReaderNorm(c, w.AttnNormWeight, w.AttnNormBias, _k, _g);
        var normed = ReadNormed(layout.FirstAttentionReader(l), R, layout.AttentionVisible(l), norm, _norms?.Attention[l],
            tape, mem, corrupted, out var dNormed);
        // Every head at once: q [H, n, hd], k [KV, n, hd], v [KV, n, vd], each head's block its readers' projection.
        var q = E(H, n, hd);
        var k = E(KV, n, hd);
        var v = E(KV, n, vd);
        _k.BatchedLinear(normed.Rows(0, H).Reshape(H, n, d), hs.Wq, hs.Bq, q);
        _k.BatchedLinear(normed.Rows(H, KV).Reshape(KV, n, d), hs.Wk, hs.Bk, k);
        _k.BatchedLinear(normed.Rows(H + KV, KV).Reshape(KV, n, d), hs.Wv, hs.Bv, v);
        // A head's block [n, hd] = [batch, T, hd]: all heads are one batch of H·batch sequences of one head.
        if (c.Rope)
        {
            RopeOp.Forward(_k, q.Reshape(H * batch, T, 1, hd), 0, c.RopeTheta);
            RopeOp.Forward(_k, k.Reshape(KV * batch, T, 1, hd), 0, c.RopeTheta);
        }
        var dq = grad ? Z(H, n, hd) : null;
        var dk = grad ? Z(KV, n, hd) : null;
        var dv = grad ? Z(KV, n, vd) : null;

        // Backward of the Q/K/V projections, recorded before the heads so that it runs after all of them.
        tape?.Record(() =>
        {
            if (c.Rope)
            {
                _g.RopeBackward(dq!.Reshape(H * batch, T, 1, hd), 0, c.RopeTheta);
                _g.RopeBackward(dk!.Reshape(KV * batch, T, 1, hd), 0, c.RopeTheta);
            }
            _k.BatchedGemm(dq!, false, hs.Wq, false, dNormed!.Rows(0, H).Reshape(H, n, d), 1f, 1f);
            _k.BatchedGemm(dk!, false, hs.Wk, false, dNormed!.Rows(H, KV).Reshape(KV, n, d), 1f, 1f);
            _k.BatchedGemm(dv!, false, hs.Wv, false, dNormed!.Rows(H + KV, KV).Reshape(KV, n, d), 1f, 1f);
        });

        var o = E(H, n, vd);
        Attention(q, k, v, o);
        // The heads' outputs go straight into their stack rows, which lie back to back.
        int firstHead = graph.HeadWriter(l, 0);
        var heads = _D.Rows(firstHead, H);
        _k.BatchedLinear(o, hs.Wo, hs.Bo, heads.Reshape(H, n, d));
        // dy of every head [H, n·d]: the stack gradient's rows themselves when nothing scales or narrows them, else
        // filled by the heads' write.
        bool dyIsStack = _m is null && _dD?.DType == _at;
        Tensor? dy = null;
        if (grad) dy = dyIsStack ? _dD!.Rows(firstHead, H) : E(H, nd);
        // Backward of the heads, recorded before their writes so that it runs once all of them have filled dy.
        tape?.Record(() =>
        {
            var dO = Z(H, n, vd);
            _k.BatchedGemm(dy!.Reshape(H, n, d), false, hs.Wo, false, dO, 1f, 1f);
            AttentionBackward(q, k, v, dO, dq!, dk!, dv!);
        });
        WriteRows(firstHead, H, tape, mem, corrupted, dyIsStack ? null : dy);

        // MLP.
        int mlpReader = layout.MlpReader(l);
        var mlpNorm = new ReaderNorm(c, w.MlpNormWeight, w.MlpNormBias, _k, _g);
        var hm = ReadNormed(mlpReader, 1, graph.Readers[mlpReader].VisibleWriters, mlpNorm, _norms?.Mlp[l], tape, mem, corrupted, out var dHm);
        hm = hm.Reshape(n, d);
        var up = E(n, c.MlpDim);
        LinearOp.Forward(_k, hm, w.WUp, w.BUp, up);
        var act = E(n, c.MlpDim);
        Tensor? gateUp = null;
        if (w.WGateUp is { } w3)
        {
            gateUp = E(n, c.MlpDim);
            LinearOp.Forward(_k, hm, w3, null, gateUp);
            SwiGluOp.Forward(_k, up, gateUp, act);
        }
        else
        {
            ActivationOp.Forward(_k, c.MlpActivation, up, act);
        }
        int mlpWriter = graph.MlpWriter(l);
        var ym = _D.Row(mlpWriter);
        LinearOp.Forward(_k, act, w.WDown, w.BDown, ym.Reshape(n, d));
        WriteRows(mlpWriter, 1, tape, mem, corrupted, null, grad ? dy =>
        {
            var dAct = Z(n, c.MlpDim);
            LinearOp.Backward(_k, dy.Reshape(n, d), w.WDown, dAct);
            var dUp = Z(n, c.MlpDim);
            var dH = dHm!.Reshape(n, d);
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
        } : null);
    }

    /// <summary>o = attention(q, k, v) for every head of the layer's [heads, n, dim] stacks.</summary>
    private void Attention(Tensor q, Tensor k, Tensor v, Tensor o) => EachAttentionCall((Q, KV, mask) =>
        _k.Attention(Q(q), KV(k), KV(v), Q(o), _T, 0, _c.Causal, _c.AttentionScale, mask));

    private void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dO, Tensor dq, Tensor dk, Tensor dv) => EachAttentionCall((Q, KV, mask) =>
        _g.AttentionBackward(Q(q), KV(k), KV(v), Q(dO), Q(dq), KV(dk), KV(dv), _c.Causal, _c.AttentionScale, mask));

    /// <summary>
    /// The attention calls over a layer's heads: one over all heads·batch sequences when every head has its own keys
    /// and values, else one per head (a KV head's block serves its group). <paramref name="call"/> gets the view of a
    /// query-side stack [H, n, dim] and of a key/value-side stack [KV, n, dim] as [sequences, T, 1, dim], and the key mask.
    /// </summary>
    private void EachAttentionCall(Action<Func<Tensor, Tensor>, Func<Tensor, Tensor>, bool[]> call)
    {
        int H = _c.Heads, KV = _c.EffectiveKvHeads, B = _batch, T = _T;
        if (KV == H)
        {
            Tensor All(Tensor t) => t.Reshape(H * B, T, 1, t.Shape[2]);
            call(All, All, HeadsKeyMask());
            return;
        }
        for (int h = 0; h < H; h++)
        {
            int head = h, group = h / (H / KV);
            call(t => t.Rows(head, 1).Reshape(B, T, 1, t.Shape[2]), t => t.Rows(group, 1).Reshape(B, T, 1, t.Shape[2]), _keyMask);
        }
    }

    /// <summary>The key mask repeated for each head's block of sequences (empty when no key is padding).</summary>
    private bool[] HeadsKeyMask()
    {
        if (_keyMask.Length == 0) return _keyMask;
        if (_headsKeyMask is null)
        {
            _headsKeyMask = new bool[_keyMask.Length * _c.Heads];
            for (int h = 0; h < _c.Heads; h++) _keyMask.CopyTo(_headsKeyMask, h * _keyMask.Length);
        }
        return _headsKeyMask;
    }

    private void Readout()
    {
        var c = _c;
        int n = _n, d = _d;
        int reader = _model.Layout.LogitsReader;
        var norm = new ReaderNorm(c, _model.Model.Weights.FinalNormWeight, _model.Model.Weights.FinalNormBias, _k, _g);
        var hf = ReadNormed(reader, 1, _model.Graph.Readers[reader].VisibleWriters, norm, _norms?.Final, _tape, _memory,
            _corruptedSum, out var dHf).Reshape(n, d);
        int V = c.EffectiveOutputSize;
        if (_readRows is null)
        {
            var logits2 = _pass.Logits.Reshape(n, V);
            LinearOp.Forward(_k, hf, _model.Model.Weights.Unembedding, null, logits2);
            _tape?.Record(() => LinearOp.Backward(_k, _pass.LogitsGrad.Reshape(n, V), _model.Model.Weights.Unembedding, dHf!.Reshape(n, d)));
            return;
        }
        // Only the rows the loss reads: the unembedding (V wide) is most of a step when it runs at every token.
        int k = _readRows.Length;
        var rows = _readRows;
        var picked = _memory.Empty(_at, k, d);
        _k.Embedding(hf, rows, picked);
        LinearOp.Forward(_k, picked, _model.Model.Weights.Unembedding, null, _pass.Logits.Reshape(k, V));
        var dPicked = _tape is null ? null : _memory.Zeros(_at, k, d);
        _tape?.Record(() =>
        {
            LinearOp.Backward(_k, _pass.LogitsGrad.Reshape(k, V), _model.Model.Weights.Unembedding, dPicked!);
            var dRows = dHf!.Reshape(n, d);
            for (int i = 0; i < k; i++) _k.Add(dRows.Row(rows[i]), dPicked!.Row(i), dRows.Row(rows[i]));
        });
    }
}
