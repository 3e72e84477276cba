using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private readonly TypedKernel _attentionShort;
    private readonly TypedKernel _attentionLong;

    /// <summary>
    /// Grid (query tiles, heads, batch), one warp per query row; the short or the flash-style kernel as
    /// <see cref="AttentionLaunchPlan"/> decides. The key mask is staged to the device as one word per key.
    /// </summary>
    public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, output, keyCount, keyMask);
        var dtype = CommonDType("attention", q, k, v, output);
        if (g.KeyDim > AttentionLaunchPlan.MaxHeadDim || g.ValueDim > AttentionLaunchPlan.MaxHeadDim)
            throw new ShapeException($"attention: head dims {g.KeyDim} (keys) and {g.ValueDim} (values) exceed the {AttentionLaunchPlan.MaxHeadDim} the CUDA kernels take");
        if (g.Batch == 0 || g.Queries == 0 || g.Heads == 0 || g.ValueDim == 0) return;
        var mask = keyMask.IsEmpty ? null : _staging.Upload(keyMask);
        var plan = AttentionLaunchPlan.For(g, keyCount);
        var kernel = plan.ShortPath ? _attentionShort : _attentionLong;
        Launch(kernel.For(dtype), new Dim3(Dim3.Blocks(g.Queries, plan.Warps), (uint)g.Heads, (uint)g.Batch), 32 * plan.Warps, plan.SharedBytes,
            q, k, v, output, mask, g.Queries, g.Heads, g.KvHeads, g.MaxKeys, g.KeyDim, g.ValueDim, keyCount, queryStart, causal ? 1 : 0, scale);
    }
}
