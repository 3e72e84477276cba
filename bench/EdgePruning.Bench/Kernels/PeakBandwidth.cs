using System.Globalization;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The memory bandwidth the masked-read figures are set against, and where it comes from. In order:
/// EDGEPRUNE_BENCH_PEAK_GBS (GB/s, any device); on a GPU the driver's memory clock × bus width × 2, or
/// when the driver reports none a table of known boards by name; on the host a measured copy
/// (<see cref="HostCopyBandwidth"/>).
/// </summary>
public sealed record PeakBandwidth(double BytesPerSecond, string Source)
{
    /// <summary>Board name fragments and their peak DRAM bandwidth (bytes/s), most specific first.</summary>
    private static readonly (string Name, double BytesPerSecond)[] KnownGpus =
    [
        ("H100 PCIe", 2.0e12),
        ("H100 NVL", 3.9e12),
        ("H100", 3.35e12),
        ("H200", 4.8e12),
    ];

    private static readonly Lazy<PeakBandwidth> Current = new(() =>
    {
        var peak = Of(BenchBackend.Instance);
        Console.WriteLine($"// peak memory bandwidth: {peak.BytesPerSecond / 1e9:F1} GB/s ({peak.Source})");
        return peak;
    });

    /// <summary>The figure for <see cref="BenchBackend.Instance"/>, found (or measured) once.</summary>
    public static PeakBandwidth ForBenchBackend => Current.Value;

    public static PeakBandwidth Of(IKernelBackend backend)
    {
        if (Environment.GetEnvironmentVariable("EDGEPRUNE_BENCH_PEAK_GBS") is { Length: > 0 } given)
            return new(double.Parse(given, CultureInfo.InvariantCulture) * 1e9, "EDGEPRUNE_BENCH_PEAK_GBS");
        if (backend is CudaKernelBackend cuda)
        {
            var info = cuda.Context.Info;
            if (info.PeakBandwidthBytesPerSecond > 0)
                return new(info.PeakBandwidthBytesPerSecond, $"{info.Name}: memory clock × bus width × 2, from the driver");
            foreach (var (name, bytes) in KnownGpus)
                if (info.Name.Contains(name, StringComparison.OrdinalIgnoreCase))
                    return new(bytes, $"{info.Name}: datasheet figure for {name}");
            return new(double.NaN, $"{info.Name}: unknown (set EDGEPRUNE_BENCH_PEAK_GBS)");
        }
        return new(HostCopyBandwidth.Measure(), $"STREAM-like copy of 2 × 256 MiB on {Environment.ProcessorCount} threads, measured before the first benchmark");
    }
}
