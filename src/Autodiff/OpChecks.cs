using EdgePruning.Runtime;

namespace EdgePruning.Autodiff;

internal static class OpChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new ShapeException("shape mismatch in " + what);
    }

    /// <summary>Parallel.For when the work is large enough to pay for the threads, else a plain loop.</summary>
    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count > 1 && count * workPerItem >= 1 << 15) Parallel.For(0, count, body);
        else for (int i = 0; i < count; i++) body(i);
    }
}
