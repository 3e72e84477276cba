using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.Parity;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Tests.Parity;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// The pruning step with every tensor on a backend (the path a GPU takes), run here on the host backend,
/// against the host trainer.
/// </summary>
public class BackendStepTests
{
    public static TheoryData<string> Families => new() { "gpt2", "llama" };

    private static SelfTestModel Model(string family)
    {
        var config = family == "gpt2" ? RandomModels.Gpt2Like() : RandomModels.LlamaLike();
        var weights = RandomModels.Weights(config, seed: 4);
        return new SelfTestModel(family, config, weights, 2, RandomModels.Tokens(14, config.VocabSize, seed: 8));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void StepOnTheHostBackend_GivesTheHostTrainersMaskGradients(string family)
    {
        var check = StepParity.Check(new CpuKernelBackend(), Model(family), DType.F32, onDevice: false);
        Assert.True(check.Status == ParityStatus.Passed, check.ToString());
        Assert.True(check.Tolerance.ScalesWithTerms && check.MaxRelError < check.Tolerance.TermRtol / 10, check.ToString());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void StepParity_FailsWhenABackwardKernelIsWrong(string family)
    {
        var check = StepParity.Check(SkewedNormBackend(), Model(family), DType.F32, onDevice: false);
        Assert.Equal(ParityStatus.Failed, check.Status);
    }

    [Fact]
    public void Benchmark_OnABackend_MakesItsWeightsThereAndTimesSteps()
    {
        var config = BenchmarkShapes.Get("tiny", null);
        var backend = new CpuKernelBackend();
        var bench = new PruneStepBenchmark(config, 1, backend, DType.F32);
        var host = new PruneStepBenchmark(config, 1, CpuKernels.Instance);
        // The backend's seeded fill, not the host generator: other values, the same spread.
        var a = bench.Model.Model.Weights.Layers[0].WUp.Span.ToArray();
        var b = host.Model.Model.Weights.Layers[0].WUp.Span.ToArray();
        Assert.NotEqual(a, b);
        Assert.InRange(ParityTolerances.RootMeanSquare(a), 0.018, 0.022);
        Assert.Equal(a[17], 0.02f * RandomNormal.At((1UL << 32) + 12, 17));

        var m = bench.Measure(new PruneStepSettings { Batch = 2, SeqLen = 8, Steps = 2, Warmup = 1 });
        Assert.Equal(2, m.StepMilliseconds.Count);
        Assert.True(m.LaunchesPerStep.Launches > 0);
        Assert.Null(m.Peak.DevicePeakBytes);
    }

    [Fact]
    public void Benchmark_WithCapturedSteps_TimesStepsLaunchedAsTheGraph()
    {
        var bench = new PruneStepBenchmark(BenchmarkShapes.Get("tiny", null), 1, new CpuKernelBackend(), DType.F32);
        var m = bench.Measure(new PruneStepSettings { Batch = 2, SeqLen = 8, Steps = 3, Warmup = 1, CaptureSteps = true });
        Assert.True(m.CaptureSteps);
        // Two warm-up steps at least (the direct one and the capture), then three fed and launched.
        Assert.Equal(new StepGraphUse(1, 4, m.Graph!.Operations, null, null), m.Graph);
        Assert.True(m.Graph.Operations > m.LaunchesPerStep.Launches, $"{m.Graph.Operations} operations, {m.LaunchesPerStep.Launches} launches");
        Assert.Equal(true, m.LaunchesRepeat);
    }

    /// <summary>
    /// On a backend (the GPU's path: scopes per micro-batch, gradients accumulated there, KL by the training
    /// kernels), micro-batches of 1 or 3 sequences give the full batch's edge gradient, on either read path and
    /// with recomputation; a micro-batch weighted wrongly would not.
    /// </summary>
    [Theory]
    [InlineData(1, "unfused", false)]
    [InlineData(3, "unfused", false)]
    [InlineData(1, "fused", false)]
    [InlineData(2, "fused", true)]
    public void MicroBatchesOnABackend_AccumulateTheFullBatchGradient(int micro, string read, bool recompute)
    {
        var settings = new MaskedPassSettings(read == "fused" ? MaskedReadPath.Fused : MaskedReadPath.Unfused, recompute);
        var full = BackendGradient(null, settings);
        var split = BackendGradient(micro, settings);
        double diff = 0, norm = 0;
        for (int i = 0; i < full.Length; i++) { diff += Math.Pow(full[i] - split[i], 2); norm += Math.Pow(full[i], 2); }
        Assert.True(norm > 0, "the gradient should not be zero");
        Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"micro-batch {micro}: relative difference {Math.Sqrt(diff / norm):E2} from the full batch");
    }

    private static float[] BackendGradient(int? micro, MaskedPassSettings settings)
    {
        var config = RandomModels.LlamaLike();
        using var backend = new CpuKernelBackend();
        var model = new EdgeMaskedModel(Transformer.Placed(config, RandomModels.Weights(config, seed: 4), backend), 0) { Settings = settings };
        var task = RandomTokenTask.Create(config.VocabSize, 6, 5, seed: 5);
        var pruner = new EdgePruner(model, task, new PruningOptions
        {
            Batch = 6, MicroBatch = micro, Steps = 2, NodeMasks = false, InitMean = 0.5, Ablation = Ablation.Interchange, Seed = 3,
        });
        pruner.Step();
        return pruner.LastEdgeGradient!.Span.ToArray();
    }

    /// <summary>Host gradient kernels with a norm backward 1% too large: what a subtly wrong GPU kernel looks like.</summary>
    private static IKernelBackend SkewedNormBackend() => new ReplacedSetBackend(gradients: new Skewed());

    private sealed class Skewed : IGradientKernels
    {
        private readonly CpuGradientKernels _g = new();
        public void Fill(Tensor x, float value) => _g.Fill(x, value);
        public void FillNormal(Tensor x, float std, ulong seed) => _g.FillNormal(x, std, seed);
        public void Scale(Tensor x, float alpha, Tensor y) => _g.Scale(x, alpha, y);
        public void Axpy(float alpha, Tensor x, Tensor y) => _g.Axpy(alpha, x, y);
        public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate) => _g.ScaleBy(x, factor, alpha, y, accumulate);
        public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps)
        {
            var scaled = dy.Clone();
            _g.Scale(dy, 1.01f, scaled);
            _g.LayerNormBackward(x, gamma, scaled, dx, eps);
        }
        public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps)
        {
            var scaled = dy.Clone();
            _g.Scale(dy, 1.01f, scaled);
            _g.RmsNormBackward(x, gamma, scaled, dx, eps);
        }
        public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx) => _g.ActivationBackward(activation, x, dy, dx);
        public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp) => _g.SwiGluBackward(gate, up, dy, dGate, dUp);
        public void RopeBackward(Tensor grad, int startPos, float theta) => _g.RopeBackward(grad, startPos, theta);
        public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
            float scale, ReadOnlySpan<bool> keyMask = default) => _g.AttentionBackward(q, k, v, dOut, dq, dk, dv, causal, scale, keyMask);
    }
}
