namespace EdgePruning.Runtime.Cuda;

/// <summary>A grid or block extent.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(int x) => new(checked((uint)x));
    public static implicit operator Dim3(uint x) => new(x);

    /// <summary>Blocks needed to cover <paramref name="count"/> items with <paramref name="perBlock"/> each.</summary>
    public static uint Blocks(long count, int perBlock) => checked((uint)((count + perBlock - 1) / perBlock));
}
