using EdgePruning.Runtime;

namespace EdgePruning.Autodiff;

internal static class OpChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new ShapeException("shape mismatch in " + what);
    }

    /// <summary>On the CPU kernels' threads when the work is large enough to pay for them, else a plain loop.</summary>
    public static void For(int count, long workPerItem, Action<int> body) => Kernels.Cpu.CpuParallelFor.For(count, workPerItem, body);
}
