using System.Reflection;

namespace EdgePruning.Kernels;

/// <summary>
/// The CUDA sources of kernels-cu/, embedded in this assembly: compiled at run time by NVRTC on a GPU
/// machine, and compile-checked by clang on machines without one.
/// </summary>
public static class KernelSources
{
    private const string Prefix = "kernels-cu/";
    private static readonly Assembly Assembly = typeof(KernelSources).Assembly;

    /// <summary>File names of the kernel translation units (*.cu).</summary>
    public static IReadOnlyList<string> Kernels { get; } = Names(".cu");

    /// <summary>File names of the headers they include (*.cuh), passed to NVRTC as in-memory headers.</summary>
    public static IReadOnlyList<string> Headers { get; } = Names(".cuh");

    public static string Read(string fileName)
    {
        using var stream = Assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new FileNotFoundException($"kernel source '{fileName}' is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string[] Names(string extension) => Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(extension, StringComparison.Ordinal))
        .Select(n => n[Prefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToArray();
}
