using EdgePruning.Kernels;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The backend the BenchmarkDotNet kernel benchmarks run on, named by EDGEPRUNE_BENCH_DEVICE (cpu, cuda or
/// cuda:N; default cpu) and opened once per process: the benchmarks run in-process, so every case and the
/// columns share it.
/// </summary>
public static class BenchBackend
{
    public static string Device { get; } = Environment.GetEnvironmentVariable("EDGEPRUNE_BENCH_DEVICE") is { Length: > 0 } d ? d : "cpu";

    private static readonly Lazy<IKernelBackend> Opened = new(() =>
    {
        var backend = KernelBackends.Open(Device);
        Console.WriteLine($"// masked-read benchmarks on {backend.Name}: {backend.Description}");
        return backend;
    });

    public static IKernelBackend Instance => Opened.Value;

    /// <summary>Gives the device back at the end of a run (nothing to do if no benchmark opened it).</summary>
    public static void Close()
    {
        if (Opened.IsValueCreated) Opened.Value.Dispose();
    }
}
