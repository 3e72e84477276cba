namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>Shape checks of the host gradient code (its loops run through <see cref="CpuParallelFor"/>).</summary>
internal static class GradientChecks
{
    public static void Require(bool condition, string what)
    {
        if (!condition) throw new Runtime.ShapeException("shape mismatch in " + what);
    }
}
