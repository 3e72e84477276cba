using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;

namespace EdgePruning.Tests.Kernels.Cuda;

public class AttentionLaunchPlanTests
{
    private static AttentionGeometry Geometry(int queries, int maxKeys, int keyDim, int valueDim) =>
        new(Batch: 2, Queries: queries, Heads: 12, KvHeads: 4, MaxKeys: maxKeys, KeyDim: keyDim, ValueDim: valueDim);

    [Fact]
    public void Gpt2Prompt_TakesShortPath_WithScoresInSharedMemory()
    {
        var plan = AttentionLaunchPlan.For(Geometry(64, 64, 64, 64), keyCount: 64);
        Assert.True(plan.ShortPath);
        Assert.Equal(8, plan.Warps);
        Assert.Equal(4 * (8 * 64 + 32 * 65 + 8 * 64), plan.SharedBytes);
    }

    [Fact]
    public void MoreKeysThanThreshold_TakesLongPath_WithSharedMemoryIndependentOfKeys()
    {
        var few = AttentionLaunchPlan.For(Geometry(1024, 4096, 128, 128), AttentionLaunchPlan.ShortPathMaxKeys + 1);
        var many = AttentionLaunchPlan.For(Geometry(1024, 4096, 128, 128), 4096);
        Assert.False(few.ShortPath);
        Assert.Equal(16, few.Warps);
        Assert.Equal(4 * (16 * 128 + 32 * 129 + 32 * 128), few.SharedBytes);
        Assert.Equal(few, many);
    }

    [Fact]
    public void WideHeads_LeaveShortPath_WhenItsSharedMemoryExceedsTheDefaultLimit()
    {
        var plan = AttentionLaunchPlan.For(Geometry(512, 512, 256, 256), keyCount: 512);
        Assert.False(plan.ShortPath);
    }

    [Fact]
    public void OneQuery_UsesOneWarp()
    {
        Assert.Equal(1, AttentionLaunchPlan.For(Geometry(1, 100, 64, 64), 100).Warps);
        Assert.Equal(1, AttentionLaunchPlan.For(Geometry(1, 9000, 64, 64), 9000).Warps);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(256)]
    public void ShortPath_NeverAsksForMoreThanTheDefaultSharedMemory(int headDim)
    {
        for (int keys = 0; keys <= AttentionLaunchPlan.ShortPathMaxKeys; keys += 7)
        {
            var plan = AttentionLaunchPlan.For(Geometry(300, 600, headDim, headDim), keys);
            if (plan.ShortPath) Assert.True(plan.SharedBytes <= AttentionLaunchPlan.DefaultSharedLimit);
        }
    }
}
