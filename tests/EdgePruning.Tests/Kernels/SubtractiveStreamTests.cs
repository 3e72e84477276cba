using EdgePruning.Kernels.Cpu;

namespace EdgePruning.Tests.Kernels;

public class SubtractiveStreamTests
{
    private const double Offset = 1e-6, Scale = 1 - 2 * 1e-6;

    /// <summary>What the trainer drew before: one System.Random, number after number.</summary>
    private static float[] Sequential(int seed, int skip, int count)
    {
        var rng = new Random(seed);
        for (int i = 0; i < skip; i++) rng.NextDouble();
        var u = new float[count];
        for (int i = 0; i < count; i++) u[i] = (float)(Offset + Scale * rng.NextDouble());
        return u;
    }

    public static TheoryData<int> Seeds => new() { 0, 1, 2, 42, 161803398, 161803399, 1_000_000_007, int.MaxValue, -1, -123456, int.MinValue };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FromTheStart_EqualsSystemRandom_BitForBit(int seed)
    {
        // Crosses the 55-number head, the 2048-number blocks and three 65,536-number chunks.
        const int count = 3 * 65536 + 1234;
        var expected = Sequential(seed, 0, count);
        var actual = new float[count];
        new SubtractiveStream(seed).FillUniform(0, actual, Offset, Scale);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 60)]
    [InlineData(54, 2)]
    [InlineData(55, 1)]
    [InlineData(56, 100)]
    [InlineData(32_936, 17)]
    [InlineData(65_535, 3)]
    [InlineData(65_536, 70_000)]
    [InlineData(200_001, 5)]
    public void FromAnyPosition_EqualsSystemRandomAfterThatManyDraws(int start, int count)
    {
        foreach (int seed in new[] { 7, 2_000_000_000, -99 })
        {
            var actual = new float[count];
            new SubtractiveStream(seed).FillUniform(start, actual, Offset, Scale);
            Assert.Equal(Sequential(seed, start, count), actual);
        }
    }

    [Fact]
    public void Numbers_DoNotDependOnTheThreadCount()
    {
        const int count = 5 * 65536 + 77;
        var stream = new SubtractiveStream(StepSeedLike(11));
        var one = new float[count];
        var all = new float[count];
        stream.FillUniform(100, one, Offset, Scale, maxThreads: 1);
        stream.FillUniform(100, all, Offset, Scale);
        Assert.Equal(one, all);
    }

    [Fact]
    public void Jump_OfN_GivesTheNthNumberOfTheRecurrence()
    {
        // x[n] = x[n−55] − x[n−34] mod 2³¹−1 from 55 arbitrary numbers, against the combination Xⁿ mod f gives.
        var x = new List<int>();
        var rng = new Random(5);
        for (int i = 0; i < 55; i++) x.Add(rng.Next());
        for (int n = 55; n < 3000; n++)
        {
            int r = x[n - 55] - x[n - 34];
            x.Add(r < 0 ? r + int.MaxValue : r);
        }
        var head = x.Take(55).ToArray();
        foreach (int n in new[] { 0, 1, 54, 55, 56, 89, 90, 1000, 2999 })
            Assert.Equal(x[n], SubtractiveJump.Combine(SubtractiveJump.Power(n), head));
    }

    private static int StepSeedLike(int step) => (int)((uint)(step * 0x9E3779B9) & 0x7FFFFFFF);
}
