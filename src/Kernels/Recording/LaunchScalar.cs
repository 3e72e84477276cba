using System.Globalization;

namespace EdgePruning.Kernels.Recording;

/// <summary>A scalar argument of a recorded launch (flags, factors, positions, the activation, array lengths).</summary>
public readonly record struct LaunchScalar(string Name, object Value)
{
    public override string ToString() => $"{Name}={Convert.ToString(Value, CultureInfo.InvariantCulture)}";
}
