using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// <c>bench --launches</c> counts a step's launches on <see cref="BenchmarkShapes.Skeleton"/>: that is only right if
/// the widths do not change which kernels a step launches.
/// </summary>
public class LaunchCountTests
{
    public static TheoryData<string, string> ShapesAndReads => new()
    {
        { "gpt2", "fused" }, { "gpt2", "unfused" }, { "llama", "fused" }, { "llama", "unfused" },
    };

    [Theory]
    [MemberData(nameof(ShapesAndReads))]
    public void TheSkeleton_LaunchesWhatTheFullShapeLaunches(string family, string read)
    {
        var full = family == "gpt2" ? BenchmarkShapes.Tiny() : KnownShapes.Llama(layers: 2, heads: 4, kvHeads: 2, dim: 64, mlp: 96, vocab: 300, positions: 64);
        int e = full.LearnedPositions ? 2 : 0;
        var settings = new PruneStepSettings
        {
            Batch = 4, MicroBatch = 2, SeqLen = 4,
            Pass = new MaskedPassSettings(read == "fused" ? MaskedReadPath.Fused : MaskedReadPath.Unfused),
        };
        using var backend = new CpuKernelBackend();
        var expected = new PruneStepBenchmark(full, e, backend, DType.F32).CountLaunches(settings);
        var skeleton = new PruneStepBenchmark(BenchmarkShapes.Skeleton(full), e, backend, DType.F32).CountLaunches(settings);

        Assert.True(expected.Launches > 0);
        Assert.Equal(expected.ByKind, skeleton.ByKind);
        Assert.True(skeleton.GemmFlops < expected.GemmFlops / 10, $"skeleton {skeleton.GemmFlops} flops, full shape {expected.GemmFlops}");
    }
}
