namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// How attention_backward.cu runs one call: the row kernel's warps (query rows) per block and dynamic shared
/// memory, the key kernel's grid and shared memory, and the f32 scratch P and DS [B,H,T,S] between them.
/// <para>
/// The row kernel stages the block's queries and rows of dO (W·dk + W·dv words) and one 32-key tile padded
/// to max(dk, dv) + 1 words per key; it takes up to <see cref="MaxRowWarps"/> rows, fewer where that would
/// pass the 48 KiB every GPU grants without an opt-in (dk = dv = 256 leaves 7). Nothing there depends on the
/// key count, so any S runs; the scratch grows as 8·B·H·T·S bytes.
/// </para>
/// </summary>
internal readonly record struct AttentionBackwardLaunchPlan(int RowWarps, int RowSharedBytes, int KeyBlocks, int KeySharedBytes,
    long ProbabilityCount)
{
    public const int MaxRowWarps = 8;
    /// <summary>Keys per block of the key kernel (EP_KEYS_PER_BLOCK).</summary>
    public const int KeysPerBlock = 8;
    /// <summary>Query rows the key kernel stages at once (EP_ROWS_PER_STAGE).</summary>
    public const int RowsPerStage = 16;
    /// <summary>Threads of the key kernel (EP_KEY_GRAD_THREADS: each keeps 8 accumulators of dk and of dv).</summary>
    public const int KeyThreads = 256;

    /// <summary>Bytes of the scratch: P and DS, f32 each.</summary>
    public long ScratchBytes => 2 * ProbabilityCount * sizeof(float);

    public static AttentionBackwardLaunchPlan For(AttentionGeometry g)
    {
        int warps = Math.Clamp(g.Queries, 1, MaxRowWarps);
        while (warps > 1 && RowShared(g, warps) > AttentionLaunchPlan.DefaultSharedLimit) warps--;
        long keyShared = sizeof(float) * ((long)RowsPerStage * (g.KeyDim + g.ValueDim) + 2L * RowsPerStage * KeysPerBlock);
        return new AttentionBackwardLaunchPlan(warps, checked((int)RowShared(g, warps)), (g.MaxKeys + KeysPerBlock - 1) / KeysPerBlock,
            checked((int)keyShared), (long)g.Batch * g.Heads * g.Queries * g.MaxKeys);
    }

    private static long RowShared(AttentionGeometry g, int warps) =>
        sizeof(float) * ((long)warps * (g.KeyDim + g.ValueDim) + (long)AttentionLaunchPlan.KeyTile * (Math.Max(g.KeyDim, g.ValueDim) + 1));
}
