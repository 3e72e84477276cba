using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;

namespace EdgePruning.Tests.Kernels.Cuda;

public class AttentionBackwardLaunchPlanTests
{
    private static AttentionGeometry Geometry(int queries, int keys, int keyDim, int valueDim) =>
        new(Batch: 2, Queries: queries, Heads: 12, KvHeads: 4, MaxKeys: keys, KeyDim: keyDim, ValueDim: valueDim);

    [Fact]
    public void Gpt2Prompt_TakesEightRowsPerBlock_AndOneKeyBlockPerEightKeys()
    {
        var plan = AttentionBackwardLaunchPlan.For(Geometry(64, 64, 64, 64));
        Assert.Equal(8, plan.RowWarps);
        Assert.Equal(4 * (8 * (64 + 64) + 32 * 65), plan.RowSharedBytes);
        Assert.Equal(8, plan.KeyBlocks);
        Assert.Equal(4 * (16 * (64 + 64) + 2 * 16 * 8), plan.KeySharedBytes);
    }

    [Fact]
    public void SharedMemory_DoesNotDependOnTheKeyCount_TheScratchDoes()
    {
        var few = AttentionBackwardLaunchPlan.For(Geometry(128, 128, 128, 128));
        var many = AttentionBackwardLaunchPlan.For(Geometry(128, 100_000, 128, 128));
        Assert.Equal(few.RowSharedBytes, many.RowSharedBytes);
        Assert.Equal(few.KeySharedBytes, many.KeySharedBytes);
        Assert.Equal(12_500, many.KeyBlocks);
        Assert.Equal(8L * 2 * 12 * 128 * 100_000, many.ScratchBytes);
    }

    [Fact]
    public void WidestHeads_TakeFewerRowsPerBlock()
    {
        var plan = AttentionBackwardLaunchPlan.For(Geometry(512, 512, 256, 256));
        Assert.Equal(7, plan.RowWarps);
    }

    [Fact]
    public void OneQuery_UsesOneWarp() => Assert.Equal(1, AttentionBackwardLaunchPlan.For(Geometry(1, 100, 64, 64)).RowWarps);

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(255)]
    [InlineData(256)]
    public void NeverAsksForMoreThanTheDefaultSharedMemory(int headDim)
    {
        var plan = AttentionBackwardLaunchPlan.For(Geometry(4096, 4096, headDim, headDim));
        Assert.InRange(plan.RowSharedBytes, 1, AttentionLaunchPlan.DefaultSharedLimit);
        Assert.InRange(plan.KeySharedBytes, 1, AttentionLaunchPlan.DefaultSharedLimit);
    }
}
