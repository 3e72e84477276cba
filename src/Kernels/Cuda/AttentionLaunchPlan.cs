namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// Which attention.cu kernel runs an attention call, with how many warps (query rows) per block and how
/// much dynamic shared memory (f32 words: the block's queries, one 32-key tile, and for the short path
/// the score rows).
/// <para>
/// The short path keeps each row's scores against every key it sees in shared memory and takes an exact
/// softmax: it is chosen for at most <see cref="ShortPathMaxKeys"/> keys, where 8 rows × 512 keys × 4 B =
/// 16 KiB of scores sit beside the tiles within the 48 KiB every GPU grants without an opt-in (for head
/// dims up to 128). Beyond that the score rows would outgrow shared memory, and the flash-style long path,
/// which does the same work per key with a running maximum and constant shared memory, takes over; it
/// runs 16 rows per block, so each key/value tile it stages serves twice as many queries.
/// </para>
/// </summary>
internal readonly record struct AttentionLaunchPlan(bool ShortPath, int Warps, int SharedBytes)
{
    public const int ShortPathMaxKeys = 512;
    /// <summary>Largest head dimension attention.cu takes (EP_MAX_HEAD_DIM: each lane keeps dv/32 accumulators).</summary>
    public const int MaxHeadDim = 256;
    public const int KeyTile = 32;
    public const int DefaultSharedLimit = 48 * 1024;
    private const int ShortWarps = 8;
    private const int LongWarps = 16;

    public static AttentionLaunchPlan For(AttentionGeometry g, int keyCount)
    {
        int shortWarps = Math.Clamp(g.Queries, 1, ShortWarps);
        long shortBytes = sizeof(float) * ((long)shortWarps * g.KeyDim + (long)KeyTile * Math.Max(g.KeyDim + 1, g.ValueDim)
            + (long)shortWarps * keyCount);
        if (keyCount <= ShortPathMaxKeys && shortBytes <= DefaultSharedLimit)
            return new AttentionLaunchPlan(true, shortWarps, (int)shortBytes);
        int longWarps = Math.Clamp(g.Queries, 1, LongWarps);
        long longBytes = sizeof(float) * ((long)longWarps * g.KeyDim + (long)KeyTile * (g.KeyDim + 1) + (long)KeyTile * g.ValueDim);
        return new AttentionLaunchPlan(false, longWarps, checked((int)longBytes));
    }
}
