using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// A layer's weights as stacks of per-head blocks, for the batched products of all heads at once: Q [H, hd, d],
/// K [KV, hd, d], V [KV, vd, d] and their biases [heads, dim] (views of the layer's weights, no copy), and the
/// heads' output projections O [H, d, vd] (each head's column block of W_O, copied once so that the blocks lie
/// back to back) with the output bias split evenly across heads, one copy per head [H, d], as the reference
/// model does. For a model on a device the column blocks and the bias shares are cut on the host and uploaded once.
/// </summary>
internal sealed class HeadSlices
{
    public required Tensor Wq, Wk, Wv, Wo;
    public required Tensor? Bq, Bk, Bv, Bo;

    public static HeadSlices Of(LayerWeights w, TransformerConfig c, IKernelBackend? backend)
    {
        int H = c.Heads, KV = c.EffectiveKvHeads, hd = c.HeadDim, vd = c.EffectiveValueDim, d = c.ModelDim;
        bool device = w.Wo.IsOnDevice;
        if (device && backend is null) throw new ShapeException("a model on a device needs its backend to cut its heads");
        Tensor Host(Tensor t) => device ? backend!.Download(t) : t;
        Tensor Placed(Tensor t) => device ? backend!.Upload(t, w.Wo.DType) : t;
        var woHost = Host(w.Wo);
        var wo = Tensor.Zeros(H, d, vd);
        for (int h = 0; h < H; h++) LinearOp.ColumnSlice(woHost, h * vd, vd).Span.CopyTo(wo.Span.Slice(h * d * vd, d * vd));
        Tensor? bo = null;
        if (w.Bo is { } bias)
        {
            var share = Host(bias).Span;
            var shares = Tensor.Zeros(H, d);
            var s = shares.Span;
            for (int h = 0; h < H; h++)
                for (int i = 0; i < d; i++) s[h * d + i] = share[i] / H;
            bo = Placed(shares);
        }
        return new HeadSlices
        {
            Wq = w.Wq.Reshape(H, hd, d),
            Bq = w.Bq?.Reshape(H, hd),
            Wk = w.Wk.Reshape(KV, hd, d),
            Bk = w.Bk?.Reshape(KV, hd),
            Wv = w.Wv.Reshape(KV, vd, d),
            Bv = w.Bv?.Reshape(KV, vd),
            Wo = Placed(wo),
            Bo = bo,
        };
    }
}
