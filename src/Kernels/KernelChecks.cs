using EdgePruning.Runtime;

namespace EdgePruning.Kernels;

internal static class KernelChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new ShapeException("shape mismatch in " + what);
    }

    /// <summary>Throws a ShapeException when <paramref name="ok"/> is false; the message is formatted only on failure.</summary>
    public static void Require(bool ok, [System.Runtime.CompilerServices.InterpolatedStringHandlerArgument(nameof(ok))] ref ShapeMessage what)
    {
        if (!ok) throw new ShapeException("shape mismatch in " + what.ToStringAndClear());
    }
}
