using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>How two launches differ in what a captured graph fixes: kind, tensor roles, shapes and dtypes, scalars, host array lengths.</summary>
internal static class LaunchComparison
{
    /// <returns>A short description of the first difference, or null when the launches are the same but for tensor identity and host array contents.</returns>
    public static string? FirstDifference(KernelLaunch a, KernelLaunch b)
    {
        if (a.Family != b.Family || a.Kind != b.Kind) return $"{a.Name} ≠ {b.Name}";
        for (int i = 0; i < Math.Max(a.Tensors.Count, b.Tensors.Count); i++)
        {
            if (i >= a.Tensors.Count || i >= b.Tensors.Count)
                return $"{a.Name}: tensors {Roles(a)} ≠ {Roles(b)}";
            LaunchTensor x = a.Tensors[i], y = b.Tensors[i];
            if (x.Role != y.Role || !x.Shape.Equals(y.Shape) || x.DType != y.DType)
                return $"{a.Name}: tensor {x.Role}{x.Shape} {x.DType.Name()} ≠ {y.Role}{y.Shape} {y.DType.Name()}";
        }
        for (int i = 0; i < Math.Max(a.Scalars.Count, b.Scalars.Count); i++)
        {
            if (i >= a.Scalars.Count || i >= b.Scalars.Count)
                return $"{a.Name}: scalars {string.Join(", ", a.Scalars)} ≠ {string.Join(", ", b.Scalars)}";
            LaunchScalar x = a.Scalars[i], y = b.Scalars[i];
            if (x.Name != y.Name || !Equals(x.Value, y.Value)) return $"{a.Name}: {x} ≠ {y}";
        }
        for (int i = 0; i < Math.Max(a.HostArrays.Count, b.HostArrays.Count); i++)
        {
            if (i >= a.HostArrays.Count || i >= b.HostArrays.Count)
                return $"{a.Name}: host arrays {string.Join(", ", a.HostArrays)} ≠ {string.Join(", ", b.HostArrays)}";
            LaunchHostArray x = a.HostArrays[i], y = b.HostArrays[i];
            if (x.Name != y.Name || x.Values.Length != y.Values.Length) return $"{a.Name}: host array {x} ≠ {y}";
        }
        return null;
    }

    private static string Roles(KernelLaunch l) => "(" + string.Join(", ", l.Tensors.Select(t => t.Role)) + ")";
}
