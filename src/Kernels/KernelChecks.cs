using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

internal static class KernelChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new ShapeException("shape mismatch in " + what);
    }
}
