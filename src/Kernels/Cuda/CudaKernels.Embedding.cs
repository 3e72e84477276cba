using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private static readonly Tensor? NoPositions = null;

    private readonly TypedKernel _embedding;

    /// <summary>The ids are checked against the vocabulary here, then staged to the device; one block per output row.</summary>
    public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y)
    {
        int d = table.Shape.Cols, vocab = table.Shape.Rows;
        KernelChecks.Require(y.Count == (long)ids.Length * d, $"embedding: {ids.Length} ids, table {table.Shape}, y {y.Shape}");
        var dtype = CommonDType("embedding", table, y);
        foreach (int id in ids)
            if ((uint)id >= (uint)vocab) throw new ShapeException($"token id {id} is outside the vocabulary of {vocab}");
        if (ids.Length == 0 || d == 0) return;
        var deviceIds = _staging.Upload(ids);
        Launch(_embedding.For(dtype), new Dim3((uint)ids.Length), RowBlock(d, 256), 0,
            table, deviceIds, NoPositions, y, ids.Length, d, 1, 0);
    }
}
