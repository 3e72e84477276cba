namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Scratch memory owned by one thread (packed GEMM panels, attention scores): pinned, 64-byte aligned,
/// grown on demand and then reused, so the kernels allocate only on the first call at a new size.
/// </summary>
internal sealed unsafe class ThreadScratch
{
    private const int AlignFloats = 16;

    [ThreadStatic] private static ThreadScratch? t_packA;
    [ThreadStatic] private static ThreadScratch? t_packB;
    [ThreadStatic] private static ThreadScratch? t_tile;
    [ThreadStatic] private static ThreadScratch? t_work;
    [ThreadStatic] private static ThreadScratch? t_operand;
    [ThreadStatic] private static ThreadScratch? t_keys;

    private float[] _array = [];
    private float* _aligned;
    private int _capacity;

    /// <summary>Panel of A in the packed GEMM.</summary>
    public static ThreadScratch PackA => t_packA ??= new();
    /// <summary>Panel of B in the packed GEMM.</summary>
    public static ThreadScratch PackB => t_packB ??= new();
    /// <summary>A register tile spilled at ragged edges.</summary>
    public static ThreadScratch Tile => t_tile ??= new();
    /// <summary>An operand rearranged before a product (Aᵀ of Aᵀ·Bᵀ).</summary>
    public static ThreadScratch Operand => t_operand ??= new();
    /// <summary>Per-row working memory of the other kernels (attention scores).</summary>
    public static ThreadScratch Work => t_work ??= new();
    /// <summary>An attention kernel's keys of one (batch, KV head), transposed.</summary>
    public static ThreadScratch Keys => t_keys ??= new();

    /// <summary>At least <paramref name="floats"/> floats, 64-byte aligned; contents are undefined.</summary>
    public float* Get(long floats)
    {
        if (floats > _capacity)
        {
            long want = Math.Max(floats, (long)_capacity * 3 / 2);
            if (want + AlignFloats > Array.MaxLength) throw new OutOfMemoryException($"scratch of {want:N0} floats");
            _array = GC.AllocateUninitializedArray<float>((int)want + AlignFloats, pinned: true);
            fixed (float* p = _array)
            {
                long misalign = ((long)p & 63) / sizeof(float);
                _aligned = p + (misalign == 0 ? 0 : AlignFloats - misalign);
            }
            _capacity = (int)want;
        }
        return _aligned;
    }
}
