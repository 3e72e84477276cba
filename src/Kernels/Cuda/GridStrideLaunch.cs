using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// The launch of the 1-D grid-stride kernels of kernels-cu/ (elementwise maps, fills, vector updates): 256
/// threads a block, as many blocks as the elements need up to 16 per SM, enough resident warps to cover
/// memory latency.
/// </summary>
internal static class GridStrideLaunch
{
    public const int Block = 256;
    public const int BlocksPerSm = 16;

    /// <summary>Queues <paramref name="function"/> over <paramref name="count"/> elements on the context's stream (nothing for 0).</summary>
    public static void Run(CudaContext context, CudaFunction function, long count, params ReadOnlySpan<KernelArg> args)
    {
        if (count == 0) return;
        uint blocks = Math.Min(Dim3.Blocks(count, Block), (uint)(context.Info.Multiprocessors * BlocksPerSm));
        function.Launch(context.Stream, new Dim3(blocks), Block, 0, args);
    }
}
