namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Grouped-query attention: one head of one dimension up to a long context, key counts short of the cache
/// size and on both sides of 256 (where a GPU kernel may switch from a one-block to a tiled path), queries
/// that start deep in the context, causal and not, and key masks that hide keys, up to every key a query sees.
/// </summary>
internal static class AttentionParityCases
{
    /// <summary>Which keys a mask hides: none (no mask given), every fifth, or also the first (so query 0 of a causal call sees nothing).</summary>
    public enum Mask { None, EveryFifth, EveryFifthAndFirst }

    public sealed record Shape(int Batch, int Queries, int Heads, int KvHeads, int KeyDim, int ValueDim, int MaxKeys, int KeyCount,
        int QueryStart, bool Causal, Mask Mask = Mask.None, bool Quick = false)
    {
        public override string ToString() =>
            $"B{Batch} T{Queries} H{Heads}/{KvHeads} d{KeyDim}/{ValueDim}, keys {KeyCount} of {MaxKeys} from {QueryStart}" +
            (Causal ? ", causal" : "") + Mask switch { Mask.EveryFifth => ", 1/5 hidden", Mask.EveryFifthAndFirst => ", 1/5 + first hidden", _ => "" };
    }

    public static readonly Shape[] Shapes =
    [
        new(1, 1, 1, 1, 1, 1, MaxKeys: 1, KeyCount: 1, QueryStart: 0, Causal: false, Quick: true),
        new(2, 7, 8, 2, 64, 64, MaxKeys: 40, KeyCount: 33, QueryStart: 26, Causal: true, Quick: true),
        new(2, 7, 8, 2, 64, 64, MaxKeys: 40, KeyCount: 33, QueryStart: 26, Causal: false, Mask.EveryFifth),
        new(2, 7, 4, 4, 3, 5, MaxKeys: 7, KeyCount: 7, QueryStart: 0, Causal: true, Mask.EveryFifthAndFirst, Quick: true),
        new(1, 3, 8, 2, 64, 64, MaxKeys: 255, KeyCount: 255, QueryStart: 252, Causal: true),
        new(1, 3, 8, 2, 64, 64, MaxKeys: 300, KeyCount: 257, QueryStart: 254, Causal: true, Quick: true),
        new(2, 1, 12, 12, 64, 64, MaxKeys: 1024, KeyCount: 700, QueryStart: 699, Causal: true),
        new(1, 2, 4, 1, 128, 128, MaxKeys: 1600, KeyCount: 1500, QueryStart: 1498, Causal: true, Mask.EveryFifth, Quick: true),
        new(1, 33, 4, 2, 64, 32, MaxKeys: 1500, KeyCount: 1500, QueryStart: 0, Causal: false),
    ];

    public static IEnumerable<ParityCase> All() => Shapes.Select(Attention);

    private static ParityCase Attention(Shape s) =>
        new("attention", s.ToString(), ParityArithmetic.MatrixProduct, ctx =>
        {
            var q = ctx.Input(2f, 0f, s.Batch, s.Queries, s.Heads, s.KeyDim);
            var k = ctx.Input(1f, 0f, s.Batch, s.MaxKeys, s.KvHeads, s.KeyDim);
            var v = ctx.Input(1f, 0f, s.Batch, s.MaxKeys, s.KvHeads, s.ValueDim);
            var mask = KeyMask(s);
            float scale = 1f / MathF.Sqrt(s.KeyDim);
            var y = ctx.Output(s.Batch, s.Queries, s.Heads, s.ValueDim);
            var expected = ctx.OracleOutput(s.Batch, s.Queries, s.Heads, s.ValueDim);
            ctx.Candidate.Attention(q.Candidate, k.Candidate, v.Candidate, y, s.KeyCount, s.QueryStart, s.Causal, scale, mask);
            ctx.Oracle.Attention(q.Oracle, k.Oracle, v.Oracle, expected, s.KeyCount, s.QueryStart, s.Causal, scale, mask);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Reduction: s.KeyDim, Quick: s.Quick);

    private static bool[] KeyMask(Shape s) => KeyMask(s.Mask, s.Batch, s.MaxKeys);

    /// <summary>The key mask [batch, maxKeys] of <paramref name="hidden"/> (empty for none).</summary>
    internal static bool[] KeyMask(Mask hidden, int batch, int maxKeys)
    {
        if (hidden == Mask.None) return [];
        var mask = new bool[batch * maxKeys];
        for (int b = 0; b < batch; b++)
        for (int key = 0; key < maxKeys; key++)
            mask[b * maxKeys + key] = key % 5 != 3 && !(key == 0 && b == 0 && hidden == Mask.EveryFifthAndFirst);
        return mask;
    }
}
