using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaGradientKernels
{
    private readonly TypedKernel _attentionRows;
    private readonly TypedKernel _attentionKeys;

    /// <summary>
    /// attention_backward.cu's two kernels, as <see cref="AttentionBackwardLaunchPlan"/> sizes them: one warp per
    /// query row fills the probabilities and score gradients (scratch rented from the context's pool for the
    /// call) and adds dq; one block per 8 keys of a KV head then adds dk and dv. The key mask is staged to the
    /// device as one word per key.
    /// </summary>
    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, dOut, k.Shape[1], keyMask);
        KernelChecks.Require((dq is null || dq.Count == q.Count) && (dk is null || dk.Count == k.Count) && (dv is null || dv.Count == v.Count),
            $"attention backward: q {q.Shape}, k {k.Shape}, v {v.Shape}, dq {dq?.Shape}, dk {dk?.Shape}, dv {dv?.Shape}");
        var dtype = CudaTensorChecks.CommonDType(_context, "attention backward", q, k, v, dOut, dq, dk, dv);
        if (g.KeyDim > AttentionLaunchPlan.MaxHeadDim || g.ValueDim > AttentionLaunchPlan.MaxHeadDim)
            throw new ShapeException($"attention backward: head dims {g.KeyDim} (keys) and {g.ValueDim} (values) exceed the {AttentionLaunchPlan.MaxHeadDim} the CUDA kernels take");
        if (g.Batch == 0 || g.Queries == 0 || g.Heads == 0 || g.MaxKeys == 0 || (dq is null && dk is null && dv is null)) return;

        var plan = AttentionBackwardLaunchPlan.For(g);
        var mask = keyMask.IsEmpty ? null : _staging.Upload(keyMask);
        // Given back when the launches are queued: the pool hands a block out again only to work queued later on the same stream.
        using var scratch = _context.Rent(plan.ScratchBytes);
        ulong probabilities = scratch.DeviceAddress;
        ulong scoreGradients = scratch.DeviceAddress + (ulong)(plan.ProbabilityCount * sizeof(float));
        Launch(_attentionRows.For(dtype), new Dim3(Dim3.Blocks(g.Queries, plan.RowWarps), (uint)g.Heads, (uint)g.Batch), 32 * plan.RowWarps,
            plan.RowSharedBytes, q, k, v, dOut, dq, probabilities, scoreGradients, mask, g.Queries, g.Heads, g.KvHeads, g.MaxKeys,
            g.KeyDim, g.ValueDim, causal ? 1 : 0, scale);
        if (dk is null && dv is null) return;
        Launch(_attentionKeys.For(dtype), new Dim3((uint)plan.KeyBlocks, (uint)g.KvHeads, (uint)g.Batch), AttentionBackwardLaunchPlan.KeyThreads,
            plan.KeySharedBytes, q, dOut, probabilities, scoreGradients, dk, dv, g.Queries, g.Heads, g.KvHeads, g.MaxKeys, g.KeyDim,
            g.ValueDim, causal ? 1 : 0);
    }
}
