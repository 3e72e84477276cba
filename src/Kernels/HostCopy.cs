using EdgePruning.Runtime;
using EdgePruning.Runtime.Cpu;

namespace EdgePruning.Kernels;

/// <summary><see cref="IKernels.Copy"/> between host tensors: a byte copy, or a dtype conversion through f32.</summary>
internal static class HostCopy
{
    public static void Copy(Tensor source, Tensor destination)
    {
        KernelChecks.Require(source.Count == destination.Count, $"copy: source {source.Shape}, destination {destination.Shape}");
        if (source.DType == destination.DType)
        {
            source.Bytes.CopyTo(destination.Bytes);
            return;
        }
        var f32 = source.DType == DType.F32 ? source.Span : source.ToF32().Span;
        switch (destination.DType)
        {
            case DType.F32: f32.CopyTo(destination.Span); break;
            case DType.BF16: HalfConversion.FloatToBF16(f32, destination.AsSpan<ushort>()); break;
            case DType.F16: HalfConversion.FloatToF16(f32, destination.AsSpan<Half>()); break;
        }
    }
}
