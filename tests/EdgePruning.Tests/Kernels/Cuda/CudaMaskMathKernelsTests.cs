using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels.Cuda;

/// <summary>The device side of the trainer's mask math: the noise, the sums and the update held to their host twins.</summary>
public class CudaMaskMathKernelsTests
{
    /// <summary>More entries than one grid-stride pass of the elementwise launch covers (4096 blocks × 256 threads).</summary>
    private const int Entries = 4096 * 256 + 4099;

    [CudaFact(Shared = true)]
    public void MaskNoise_OnTheDevice_HasTheHostBits()
    {
        using var backend = KernelBackends.Open("cuda");
        var u = backend.Empty(DType.F32, Entries);
        const ulong seed = (1UL << 33) + 5;
        backend.Training.MaskNoise(u, seed);
        var expected = new float[Entries];
        MaskNoise.Fill(expected, seed);
        Assert.Equal(expected, backend.Download(u).Span.ToArray());
    }

    [Fact]
    public void MaskNoise_IsUniformInsideTheReferenceBounds()
    {
        var u = new float[1 << 20];
        MaskNoise.Fill(u, 17);
        Assert.All(u, v => Assert.InRange(v, MaskNoise.Low, MaskNoise.High));
        // Mean 1/2 and variance 1/12 of U(0, 1), within five standard errors.
        double mean = u.Average(v => (double)v), variance = u.Average(v => (v - mean) * (v - mean));
        Assert.InRange(mean, 0.5 - 5 * Math.Sqrt(1.0 / 12 / u.Length), 0.5 + 5 * Math.Sqrt(1.0 / 12 / u.Length));
        Assert.InRange(variance, 1.0 / 12 - 0.001, 1.0 / 12 + 0.001);
        var other = new float[u.Length];
        MaskNoise.Fill(other, 18);
        Assert.True(u.Zip(other).Count(p => p.First == p.Second) < u.Length / 1000, "two seeds draw the same noise");
    }

    /// <summary>
    /// Σ x and Σ x² in double on the device as the host sums them in order: the double-float pair holds the sum to about
    /// 2⁻⁴⁸ of its size, and the two orders of addition each err by at most (n − 1)·2⁻⁵³·Σ|x| (recursive summation's
    /// bound), so they differ by at most twice that: 2.3e-10 of Σ|x| here, far below one element left out or added twice.
    /// </summary>
    [CudaFact(Shared = true)]
    public void Sum_OnTheDevice_IsTheHostSum()
    {
        using var backend = KernelBackends.Open("cuda");
        var host = new float[Entries];
        RandomNormal.Fill(host, 1f, 9);
        var x = backend.Upload(Tensor.FromData(host, Entries), DType.F32);
        var total = backend.Empty(DType.F32, 2);
        var oracle = new ReferenceTrainingKernels(CpuKernels.Instance);
        var expected = Tensor.Zeros(2);
        foreach (bool squares in new[] { false, true })
        {
            backend.Training.Sum(x, squares, total);
            oracle.Sum(Tensor.FromData(host, Entries), squares, expected);
            double got = SumTotal.Read(backend.Download(total).Span), want = SumTotal.Read(expected.Span);
            double scale = host.Sum(v => squares ? (double)v * v : Math.Abs(v));
            Assert.True(Math.Abs(got - want) <= 2.0 * (Entries - 1) * Math.Pow(2, -53) * scale, $"squares {squares}: {got} on the device, {want} on the host");
        }
    }

    /// <summary>The hard-concrete backward with a shift adds it to every dz in f32 before the gradient, on both sides.</summary>
    [CudaFact(Shared = true)]
    public void HardConcreteBackward_WithAShift_IsTheHostGradient()
    {
        using var backend = KernelBackends.Open("cuda");
        const int n = 70_001;
        var logAlpha = new float[n];
        var dz = new float[n];
        var u = new float[n];
        RandomNormal.Fill(logAlpha, 2f, 1);
        RandomNormal.Fill(dz, 1f, 2);
        MaskNoise.Fill(u, 3);
        const float shift = 0.37f;
        var oracle = Tensor.Zeros(n);
        new ReferenceTrainingKernels(CpuKernels.Instance).HardConcreteBackward(Tensor.FromData(logAlpha, n), Tensor.FromData(u, n),
            Tensor.FromData(dz, n), oracle, shift);
        var expected = oracle.Span.ToArray();
        var g = backend.Upload(Tensor.Zeros(n), DType.F32);
        backend.Training.HardConcreteBackward(backend.Upload(Tensor.FromData(logAlpha, n), DType.F32), backend.Upload(Tensor.FromData(u, n), DType.F32),
            backend.Upload(Tensor.FromData(dz, n), DType.F32), g, shift);
        var got = backend.Download(g).Span.ToArray();
        // The oracle's libm and the device's log/exp may round a last double bit differently: at most one f32 ulp.
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= MathF.BitIncrement(Math.Abs(expected[i])) - Math.Abs(expected[i]),
                $"entry {i}: {got[i]} on the device, {expected[i]} on the host");
        Assert.Contains(expected, v => v != 0);
    }
}
