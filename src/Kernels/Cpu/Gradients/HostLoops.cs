namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>Row loops of the host gradient code: parallel when the work pays for the threads.</summary>
internal static class HostLoops
{
    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count > 1 && count * workPerItem >= 1 << 15) Parallel.For(0, count, body);
        else for (int i = 0; i < count; i++) body(i);
    }

    public static void Require(bool condition, string what)
    {
        if (!condition) throw new Runtime.ShapeException("shape mismatch in " + what);
    }
}
