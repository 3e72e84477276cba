using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Tests.Kernels;

public class CpuAdamWTests
{
    /// <summary>Three steps of the SIMD, multi-core update equal the scalar oracle's bit for bit.</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(13, true)]
    [InlineData(32768 * 2 + 5, false)]
    [InlineData(100_003, true)]
    public void Steps_EqualTheScalarOracle_BitForBit(int n, bool maximize)
    {
        var rng = new Random(n);
        float[] Fill(double scale)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
            return a;
        }
        var p = Fill(10);
        var (m, v) = (new float[n], new float[n]);
        var (pRef, mRef, vRef) = ((float[])p.Clone(), new float[n], new float[n]);
        for (int t = 1; t <= 3; t++)
        {
            var g = Fill(t == 2 ? 1e-6 : 3);
            var step = new AdamWStep(0.1 / t, 0.01, t, maximize);
            CpuAdamW.Step(p, g, m, v, step);
            AdamWMath.Step(pRef, g, mRef, vRef, step);
        }
        Assert.Equal(pRef, p);
        Assert.Equal(mRef, m);
        Assert.Equal(vRef, v);
    }
}
