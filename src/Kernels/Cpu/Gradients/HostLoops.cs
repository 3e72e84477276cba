namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>Row loops of the host gradient code: parallel when the work pays for the threads.</summary>
internal static class HostLoops
{
    public static void For(int count, long workPerItem, Action<int> body) => CpuParallelFor.For(count, workPerItem, body);

    public static void Require(bool condition, string what)
    {
        if (!condition) throw new Runtime.ShapeException("shape mismatch in " + what);
    }
}
