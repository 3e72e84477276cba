using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// The masked-read benchmarks run in-process: a GPU machine has only the self-contained published binary,
/// no SDK to build the usual child process, and one process keeps one backend (and one CUDA context) for
/// every case. The toolchain is a mutator, so it applies to whatever job the command line asks for
/// (<c>--job short</c>). Adds the median and the bandwidth columns.
/// </summary>
public sealed class MaskedReadConfig : ManualConfig
{
    public MaskedReadConfig()
    {
        AddJob(Job.Default.WithToolchain(new InProcessEmitToolchain(TimeSpan.FromMinutes(10), logOutput: true)).AsMutator());
        AddColumn(StatisticColumn.Median, BandwidthColumn.GigabytesPerSecond, BandwidthColumn.ShareOfPeak);
    }
}
