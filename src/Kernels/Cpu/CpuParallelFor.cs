namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// A parallel loop on the CPU kernels' own worker threads (<see cref="CpuParallel"/>), for host code outside the kernels
/// (the gradient loops, the autodiff ops): all host work shares one set of threads, instead of thread-pool threads
/// spinning for work beside the kernel workers on the same cores.
/// </summary>
public static class CpuParallelFor
{
    /// <summary>The work (items × work per item) from which a loop is split over the cores.</summary>
    public const long ParallelFrom = 1 << 15;

    /// <summary>body(0 … count − 1), on every core when the work pays for the threads, else in a plain loop.</summary>
    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count > 1 && count * workPerItem >= ParallelFrom) CpuParallel.Run(new DelegateJob(body), count, Environment.ProcessorCount);
        else for (int i = 0; i < count; i++) body(i);
    }

    private sealed class DelegateJob(Action<int> body) : ParallelJob
    {
        public override void Run(int chunk) => body(chunk);
    }
}
