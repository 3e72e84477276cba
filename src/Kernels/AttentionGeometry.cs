using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

/// <summary>Validated sizes and index arithmetic of one attention call (shared by every backend).</summary>
public readonly record struct AttentionGeometry(
    int Batch, int Queries, int Heads, int KvHeads, int MaxKeys, int KeyDim, int ValueDim)
{
    public int Group => Heads / KvHeads;

    public static AttentionGeometry Of(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, ReadOnlySpan<bool> keyMask)
    {
        KernelChecks.Require(q.Shape.Rank == 4 && k.Shape.Rank == 4 && v.Shape.Rank == 4 && output.Shape.Rank == 4,
            $"attention: q {q.Shape}, k {k.Shape}, v {v.Shape}, out {output.Shape} must all be rank 4");
        var g = new AttentionGeometry(q.Shape[0], q.Shape[1], q.Shape[2], k.Shape[2], k.Shape[1], q.Shape[3], v.Shape[3]);
        KernelChecks.Require(k.Shape[0] == g.Batch && v.Shape[0] == g.Batch && v.Shape[1] == g.MaxKeys && v.Shape[2] == g.KvHeads
            && k.Shape[3] == g.KeyDim && g.KvHeads > 0 && g.Heads % g.KvHeads == 0
            && output.Shape[0] == g.Batch && output.Shape[1] == g.Queries && output.Shape[2] == g.Heads && output.Shape[3] == g.ValueDim
            && keyCount >= 0 && keyCount <= g.MaxKeys && (keyMask.IsEmpty || keyMask.Length == g.Batch * g.MaxKeys),
            $"attention: q {q.Shape}, k {k.Shape}, v {v.Shape}, out {output.Shape}, keys {keyCount}");
        return g;
    }

    public int QueryIndex(int b, int t, int h) => ((b * Queries + t) * Heads + h) * KeyDim;
    public int KeyIndex(int b, int s, int kvh) => ((b * MaxKeys + s) * KvHeads + kvh) * KeyDim;
    public int ValueIndex(int b, int s, int kvh) => ((b * MaxKeys + s) * KvHeads + kvh) * ValueDim;
    public int OutputIndex(int b, int t, int h) => ((b * Queries + t) * Heads + h) * ValueDim;
}
