using EdgePruning.Runtime;

namespace EdgePruning.Autodiff;

internal static class OpChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new ShapeException("shape mismatch in " + what);
    }
}
