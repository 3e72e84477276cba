namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Splitting of row-wise kernels (norms, softmax): rows are grouped so that one parallel chunk holds
/// about <see cref="ChunkElements"/> elements; small tensors run on the calling thread.
/// </summary>
internal static class CpuRows
{
    public const int ChunkElements = 16 * 1024;

    /// <summary>Rows per chunk for rows of <paramref name="cols"/> elements.</summary>
    public static int RowsPerChunk(int cols) => Math.Max(1, ChunkElements / Math.Max(1, cols));

    public static int Chunks(int rows, int rowsPerChunk) => (rows + rowsPerChunk - 1) / rowsPerChunk;
}
