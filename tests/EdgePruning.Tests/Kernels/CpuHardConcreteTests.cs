using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Tests.Kernels;

public class CpuHardConcreteTests
{
    /// <summary>Lengths around the SIMD width, the stack block (1,024) and the parallel chunk (16,384).</summary>
    public static TheoryData<int> Lengths => new() { 1, 7, 17, 1023, 1025, 16384 + 3, 40000 };

    private static (float[] LogAlpha, float[] U, float[] Dz) Inputs(int n, int seed)
    {
        var rng = new Random(seed);
        var logAlpha = new float[n];
        var dz = new float[n];
        // log α from −8 to 12 covers both clamps and the open interval between them.
        for (int i = 0; i < n; i++)
        {
            logAlpha[i] = (float)(rng.NextDouble() * 20 - 8);
            dz[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        var u = new float[n];
        HardConcreteOp.DrawUniform(rng, u);
        return (logAlpha, u, dz);
    }

    private static int UlpDistance(float a, float b) => Math.Abs(BitConverter.SingleToInt32Bits(a) - BitConverter.SingleToInt32Bits(b));

    /// <summary>
    /// Same formulas in the same double order as the scalar oracle; only the vectorized log and exp may round
    /// the last double bit differently, which after the cast to f32 moves an occasional mask by one ulp.
    /// </summary>
    [Theory]
    [MemberData(nameof(Lengths))]
    public void Forward_MatchesTheScalarOracle_WithinOneUlp(int n)
    {
        var (logAlpha, u, _) = Inputs(n, n);
        var z = new float[n];
        CpuHardConcrete.Forward(logAlpha, u, z);
        int differing = 0;
        for (int i = 0; i < n; i++)
        {
            float expected = (float)Math.Clamp(HardConcreteMath.Stretched(logAlpha[i], u[i], out _), 0.0, 1.0);
            Assert.True(UlpDistance(expected, z[i]) <= 1, $"z[{i}] = {z[i]:R}, oracle {expected:R}");
            if (expected != z[i]) differing++;
        }
        Assert.True(differing <= Math.Max(1, n / 1000), $"{differing} of {n} masks differ from the oracle");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Backward_MatchesTheScalarOracle_AndLeavesClampedEntriesAlone(int n)
    {
        var (logAlpha, u, dz) = Inputs(n, 1000 + n);
        var grad = new float[n];
        for (int i = 0; i < n; i++) grad[i] = i % 3 == 0 ? -0f : 0.25f;
        var before = (float[])grad.Clone();
        CpuHardConcrete.Backward(logAlpha, u, dz, grad);
        int inside = 0;
        for (int i = 0; i < n; i++)
        {
            double stretched = HardConcreteMath.Stretched(logAlpha[i], u[i], out double s);
            if (stretched > 0 && stretched < 1)
            {
                inside++;
                float expected = before[i] + (float)(dz[i] * (HardConcreteMath.Right - HardConcreteMath.Left) * s * (1 - s) / HardConcreteMath.Beta);
                Assert.True(UlpDistance(expected, grad[i]) <= 1, $"grad[{i}] = {grad[i]:R}, oracle {expected:R}");
            }
            // A clamped entry keeps its bits, the sign of a zero included.
            else Assert.Equal(BitConverter.SingleToInt32Bits(before[i]), BitConverter.SingleToInt32Bits(grad[i]));
        }
        if (n >= 1000) Assert.True(inside > n / 10 && inside < n - n / 10, $"{inside} of {n} inside: the sample should cover both regimes");
    }

    [Fact]
    public void Results_AreTheSameEveryRun()
    {
        var (logAlpha, u, dz) = Inputs(100_000, 5);
        float[] Run()
        {
            var z = new float[logAlpha.Length];
            CpuHardConcrete.Forward(logAlpha, u, z);
            CpuHardConcrete.Backward(logAlpha, u, dz, z);
            return z;
        }
        Assert.Equal(Run(), Run());
    }
}
