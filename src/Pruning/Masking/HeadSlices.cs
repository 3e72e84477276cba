using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// A layer's weights cut per head: Q rows of each head, K/V rows of each KV head (views, no copy), and
/// each head's own output projection [d, valueDim] (a column block of W_O, copied once so that it is
/// contiguous) with the output bias split evenly across heads, as the reference model does. For a model
/// on a device the column blocks and the bias share are cut on the host and uploaded once.
/// </summary>
internal sealed class HeadSlices
{
    public required Tensor[] Wq, Wk, Wv, Wo;
    public required Tensor?[] Bq, Bk, Bv;
    public required Tensor? BoShare;

    public static HeadSlices Of(LayerWeights w, TransformerConfig c, IKernelBackend? backend)
    {
        int H = c.Heads, KV = c.EffectiveKvHeads, hd = c.HeadDim, vd = c.EffectiveValueDim;
        bool device = w.Wo.IsOnDevice;
        if (device && backend is null) throw new ShapeException("a model on a device needs its backend to cut its heads");
        Tensor Host(Tensor t) => device ? backend!.Download(t) : t;
        Tensor Placed(Tensor t) => device ? backend!.Upload(t, w.Wo.DType) : t;
        var woHost = Host(w.Wo);
        var wo = Enumerable.Range(0, H).Select(h => Placed(LinearOp.ColumnSlice(woHost, h * vd, vd))).ToArray();
        Tensor? boShare = null;
        if (w.Bo is { } bo)
        {
            var share = Host(bo).Clone();
            var s = share.Span;
            for (int i = 0; i < s.Length; i++) s[i] /= H;
            boShare = Placed(share);
        }
        return new HeadSlices
        {
            Wq = Enumerable.Range(0, H).Select(h => w.Wq.Rows(h * hd, hd)).ToArray(),
            Bq = Enumerable.Range(0, H).Select(h => w.Bq?.Rows(h * hd, hd)).ToArray(),
            Wk = Enumerable.Range(0, KV).Select(g => w.Wk.Rows(g * hd, hd)).ToArray(),
            Bk = Enumerable.Range(0, KV).Select(g => w.Bk?.Rows(g * hd, hd)).ToArray(),
            Wv = Enumerable.Range(0, KV).Select(g => w.Wv.Rows(g * vd, vd)).ToArray(),
            Bv = Enumerable.Range(0, KV).Select(g => w.Bv?.Rows(g * vd, vd)).ToArray(),
            Wo = wo,
            BoShare = boShare,
        };
    }
}
