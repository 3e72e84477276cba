using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.Parity;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels.Cuda;

/// <summary>
/// Every method of <c>CudaGradientKernels</c> against <see cref="CpuGradientKernels"/> (the oracle), in each dtype of
/// the CUDA backend. The inputs are rounded to the dtype on the host first, so both sides read the same values;
/// gradient outputs start from random values, so that a kernel which overwrites instead of adding fails. The
/// tolerance is the parity suite's for ordinary-core f32 arithmetic (1e-5) or bf16 (2⁻⁷), relative to each
/// element plus the RMS of the result.
/// </summary>
public class CudaGradientKernelsTests
{
    private delegate void Call(IGradientKernels kernels, Tensor[] tensors);

    [CudaFact]
    public void FillScaleAxpy_MatchTheHost()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(1);
        AssertMatches(gpu, "fill", [0], (g, t) => g.Fill(t[0], 0.75f), Random(rng, 1f, 1000));
        AssertMatches(gpu, "scale", [1], (g, t) => g.Scale(t[0], -1.5f, t[1]), Random(rng, 1f, 3, 333), Random(rng, 1f, 3, 333));
        AssertMatches(gpu, "scale in place", [0], (g, t) => g.Scale(t[0], 0.5f, t[0]), Random(rng, 1f, 4097));
        AssertMatches(gpu, "axpy", [1], (g, t) => g.Axpy(0.3f, t[0], t[1]), Random(rng, 1f, 5000), Random(rng, 1f, 5000));
    }

    [CudaFact]
    public void NormBackward_MatchesTheHost()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(2);
        foreach (var (rows, dim, offset) in new[] { (1, 1, 0f), (7, 3, 0f), (33, 65, 0f), (9, 768, 0f), (7, 768, 16f) })
        {
            Tensor[] Inputs() => [Random(rng, 1f, offset, rows, dim), Random(rng, 0.5f, 1f, dim), Random(rng, 1f, rows, dim), Random(rng, 1f, rows, dim)];
            AssertMatches(gpu, $"layernorm backward [{rows},{dim}] around {offset}", [3], (g, t) => g.LayerNormBackward(t[0], t[1], t[2], t[3], 1e-5f), Inputs());
            AssertMatches(gpu, $"rmsnorm backward [{rows},{dim}] around {offset}", [3], (g, t) => g.RmsNormBackward(t[0], t[1], t[2], t[3], 1e-6f), Inputs());
        }
    }

    [CudaFact]
    public void ActivationAndSwiGluBackward_MatchTheHost()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(3);
        foreach (var activation in Enum.GetValues<Activation>())
            AssertMatches(gpu, $"{activation} backward", [2], (g, t) => g.ActivationBackward(activation, t[0], t[1], t[2]),
                Random(rng, 4f, 4099), Random(rng, 1f, 4099), Random(rng, 1f, 4099));
        Tensor[] SwiGlu() => [Random(rng, 4f, 17, 301), Random(rng, 1f, 17, 301), Random(rng, 1f, 17, 301), Random(rng, 1f, 17, 301), Random(rng, 1f, 17, 301)];
        AssertMatches(gpu, "swiglu backward", [3, 4], (g, t) => g.SwiGluBackward(t[0], t[1], t[2], t[3], t[4]), SwiGlu());
        AssertMatches(gpu, "swiglu backward, dGate only", [3, 4], (g, t) => g.SwiGluBackward(t[0], t[1], t[2], t[3], null), SwiGlu());
        AssertMatches(gpu, "swiglu backward, dUp only", [3, 4], (g, t) => g.SwiGluBackward(t[0], t[1], t[2], null, t[4]), SwiGlu());
    }

    [CudaFact]
    public void RopeBackward_MatchesTheHost()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(4);
        AssertMatches(gpu, "rope backward", [0], (g, t) => g.RopeBackward(t[0], 7, 10000f), Random(rng, 1f, 2, 5, 3, 16));
        AssertMatches(gpu, "rope backward, long positions", [0], (g, t) => g.RopeBackward(t[0], 3000, 500000f), Random(rng, 1f, 1, 33, 2, 128));
    }

    private static readonly (int B, int T, int H, int KV, int S, int Dk, int Dv)[] AttentionShapes =
    [
        (1, 1, 1, 1, 1, 1, 1),          // everything size 1
        (2, 5, 4, 2, 5, 8, 8),          // GQA
        (2, 37, 2, 1, 37, 40, 33),      // odd head sizes, more than one key tile
        (2, 3, 6, 2, 70, 64, 64),       // more keys than queries
        (2, 70, 2, 2, 40, 24, 24),      // more queries than keys
        (1, 9, 2, 1, 600, 256, 256),    // widest heads (7 rows per block), keys beyond the forward's short path
    ];

    [CudaFact]
    public void AttentionBackward_MatchesTheHost_CausalAndNot_WithAndWithoutMask()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(5);
        foreach (var (B, T, H, kv, S, dk, dv) in AttentionShapes)
        {
            var mask = new bool[B * S];
            for (int i = 0; i < mask.Length; i++) mask[i] = rng.NextDouble() < 0.7;
            if (B > 1) Array.Fill(mask, false, S, S); // batch 1 sees no key: it passes no gradient
            float scale = 1f / MathF.Sqrt(dk);
            foreach (bool causal in new[] { true, false })
            foreach (bool masked in new[] { false, true })
            {
                Tensor[] inputs = [Random(rng, 1f, B, T, H, dk), Random(rng, 1f, B, S, kv, dk), Random(rng, 1f, B, S, kv, dv),
                    Random(rng, 1f, B, T, H, dv), Random(rng, 1f, B, T, H, dk), Random(rng, 1f, B, S, kv, dk), Random(rng, 1f, B, S, kv, dv)];
                AssertMatches(gpu, $"attention backward B{B} T{T} H{H} KV{kv} S{S} dk{dk} dv{dv} causal {causal} masked {masked}", [4, 5, 6],
                    (g, t) => g.AttentionBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], causal, scale, masked ? mask : default),
                    inputs);
            }
        }
        Assert.Equal(0, gpu.LiveAllocations);
    }

    [CudaFact]
    public void AttentionBackward_SkipsTheGradientsNotAskedFor()
    {
        using var gpu = KernelBackends.Open("cuda");
        var rng = new Random(6);
        Tensor[] Inputs() => [Random(rng, 1f, 2, 12, 4, 16), Random(rng, 1f, 2, 12, 2, 16), Random(rng, 1f, 2, 12, 2, 16),
            Random(rng, 1f, 2, 12, 4, 16), Random(rng, 1f, 2, 12, 4, 16), Random(rng, 1f, 2, 12, 2, 16), Random(rng, 1f, 2, 12, 2, 16)];
        AssertMatches(gpu, "attention backward, dq only", [4, 5, 6], (g, t) => g.AttentionBackward(t[0], t[1], t[2], t[3], t[4], null, null, true, 0.25f), Inputs());
        AssertMatches(gpu, "attention backward, dk only", [4, 5, 6], (g, t) => g.AttentionBackward(t[0], t[1], t[2], t[3], null, t[5], null, true, 0.25f), Inputs());
        AssertMatches(gpu, "attention backward, dv only", [4, 5, 6], (g, t) => g.AttentionBackward(t[0], t[1], t[2], t[3], null, null, t[6], false, 0.25f), Inputs());
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the host oracle and on the GPU, in every dtype of <paramref name="gpu"/>, and compares
    /// the tensors at <paramref name="outputs"/>.
    /// </summary>
    private static void AssertMatches(IKernelBackend gpu, string name, int[] outputs, Call call, params Tensor[] inputs)
    {
        foreach (var dtype in gpu.DTypes)
        {
            var host = inputs.Select(x => x.To(dtype).ToF32()).ToArray();
            var device = host.Select(x => gpu.Upload(x, dtype)).ToArray();
            call(new CpuGradientKernels(), host);
            call(gpu.Gradients, device);
            foreach (int o in outputs)
            {
                var expected = host[o];
                var actual = gpu.Download(device[o]);
                var tolerance = ParityTolerances.For(dtype, onDevice: true, ParityArithmetic.Float, 0, ParityTolerances.RootMeanSquare(expected.Span));
                var check = ParityComparison.Compare(name, dtype, expected.Shape.ToString(), expected, actual, tolerance);
                Assert.True(check.Passed, $"{name} {dtype.Name()}, tensor {o}: {check.Detail} (tolerance {tolerance})");
            }
            gpu.Reset();
        }
    }
}
