using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Recording;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

public class RecordingKernelsTests
{
    /// <summary>Replays run the same CPU kernels on the same tensors as a fresh run, so they agree to rounding.</summary>
    private const double Tolerance = 1e-5;

    [Fact]
    public unsafe void Replay_OfAnMlpBlock_RecomputesItFromNewInputContents()
    {
        const int n = 6, d = 16, f = 40;
        var rng = new Random(1);
        var x = KernelTensors.Random(rng, 1f, n, d);
        var w1 = KernelTensors.Random(rng, 0.3f, f, d);
        var b1 = KernelTensors.Random(rng, 0.1f, f);
        var w2 = KernelTensors.Random(rng, 0.3f, d, f);
        var h = Tensor.Zeros(n, f);
        var y = Tensor.Zeros(n, d);
        var output = Tensor.Zeros(n, d);
        var recorder = new RecordingKernels(new CpuKernels(1));
        recorder.Linear(x, w1, b1, h);
        recorder.Activate(Activation.GeluTanh, h, h);
        recorder.Linear(h, w2, null, y);
        recorder.Add(x, y, output);
        var graph = recorder.Restart();
        var first = output.Span.ToArray();

        // New contents in the captured input buffer, as one writes a CUDA graph's input before a replay.
        KernelTensors.Random(rng, 1f, n, d).Span.CopyTo(x.Span);
        graph.Replay(new CpuKernels(1));

        var expected = MlpBlock(ReferenceKernels.Instance, x, w1, b1, w2);
        KernelTensors.AssertClose(expected, output, Tolerance, "replayed MLP block");
        Assert.True(KernelTensors.RelativeError(first, output.Span) > 0.01, "the replay left the first result in place");
        Assert.Equal(0, recorder.Graph.Count);
        Assert.Equal(["Linear", "Activate", "Linear", "Add"], graph.Launches.Select(l => l.Kind));
        Assert.Equal((nint)x.Pointer, graph.Launches[0].Tensors[0].Address);
        Assert.Equal(x.Shape, graph.Launches[0].Tensors[0].Shape);
        var summary = graph.Summarize();
        Assert.Equal(4, summary.Launches);
        Assert.Equal(2, summary.ByKind["Linear"]);
        Assert.Equal(2.0 * n * d * f * 2, summary.GemmFlops);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Replay_OfATransformerForward_MatchesAFreshForwardOnNewIds(string family)
    {
        var config = family == "gpt2" ? RandomModels.Gpt2Like() : RandomModels.LlamaLike();
        var weights = RandomModels.Weights(config, seed: 2);
        var recorder = new RecordingKernels(new CpuKernels(1));
        var recorded = new Transformer(config, weights, recorder);
        const int batch = 2, T = 5;
        var rng = new Random(3);
        int[] Ids() => Enumerable.Range(0, batch * T).Select(_ => rng.Next(config.VocabSize)).ToArray();
        var idsA = Ids();
        var idsB = Ids();

        var logits = recorded.Forward(idsA, batch);
        var graph = recorder.Restart();
        var embedding = Assert.Single(graph.Launches, l => l.Kind == "Embedding");
        Assert.Equal(idsA, embedding.Ids);
        idsB.CopyTo(embedding.Ids!, 0);
        graph.Replay(new CpuKernels(1));

        var fresh = new Transformer(config, weights, new CpuKernels(1)).Forward(idsB, batch);
        var onA = new Transformer(config, weights, new CpuKernels(1)).Forward(idsA, batch);
        KernelTensors.AssertClose(fresh, logits, Tolerance, "replayed forward on new ids");
        Assert.True(KernelTensors.RelativeError(onA.Span, logits.Span) > 1e-3, "the replay still holds the logits of the recorded ids");
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void Summary_OfAForward_CountsLaunchesPerKindAndGemmFlops(string family)
    {
        var c = family == "gpt2" ? RandomModels.Gpt2Like(layers: 3) : RandomModels.LlamaLike(layers: 3);
        var recorder = new RecordingKernels(new CpuKernels(1));
        const int batch = 2, T = 4, n = batch * T;
        new Transformer(c, RandomModels.Weights(c, seed: 4), recorder).Forward(new int[n], batch);
        var s = recorder.Graph.Summarize();

        int L = c.Layers, mlpIn = c.GatedMlp ? 2 : 1;
        string norm = c.Norm == NormKind.LayerNorm ? "LayerNorm" : "RmsNorm";
        var expected = new Dictionary<string, int>
        {
            ["Embedding"] = 1,
            ["Add"] = 2 * L + (c.LearnedPositions ? 1 : 0),
            [norm] = 2 * L + 1,
            ["Linear"] = (5 + mlpIn) * L + 1,
            ["Attention"] = L,
            [c.GatedMlp ? "SwiGlu" : "Activate"] = L,
        };
        if (c.Rope) expected["Rope"] = 2 * L;
        if (c.LearnedPositions) expected["Copy"] = batch; // the position rows, once per sequence
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), s.ByKind);
        Assert.Equal(expected.Values.Sum(), s.Launches);

        long d = c.ModelDim, hq = c.Heads * c.HeadDim, kv = c.EffectiveKvHeads * c.HeadDim, hv = c.EffectiveKvHeads * c.EffectiveValueDim;
        long perLayer = d * hq + d * kv + d * hv + c.Heads * c.EffectiveValueDim * d + (mlpIn + 1) * d * c.MlpDim;
        Assert.Equal(2.0 * n * (L * perLayer + d * c.EffectiveOutputSize), s.GemmFlops);
    }

    [Fact]
    public void RejectedCall_IsNotRecorded_AndPausedRecordingOnlyForwards()
    {
        var recorder = new RecordingKernels(new CpuKernels(1));
        Assert.Throws<ShapeException>(() => recorder.Add(Tensor.Zeros(3), Tensor.Zeros(4), Tensor.Zeros(3)));
        Assert.Equal(0, recorder.Graph.Count);

        var a = Tensor.FromData([1f, 2f], 2);
        var y = Tensor.Zeros(2);
        recorder.IsRecording = false;
        recorder.Add(a, a, y);
        Assert.Equal([2f, 4f], y.Span.ToArray());
        Assert.Equal(0, recorder.Graph.Count);

        recorder.IsRecording = true;
        recorder.Attention(Tensor.Zeros(1, 2, 1, 2), Tensor.Zeros(1, 2, 1, 2), Tensor.Zeros(1, 2, 1, 2), Tensor.Zeros(1, 2, 1, 2),
            2, 0, true, 1f, [true, false]);
        Assert.Equal([true, false], Assert.Single(recorder.Graph.Launches).KeyMask!);
    }

    [Fact]
    public void BatchedProducts_AreRecordedWithTheirKindFlopsAndFlags_AndReplayBitIdentically()
    {
        const int B = 12, m = 8, k = 16, n = 4;
        var rng = new Random(3);
        var x = KernelTensors.Random(rng, 1f, B, m, k);
        var w = KernelTensors.Random(rng, 0.5f, B, n, k);
        var bias = KernelTensors.Random(rng, 1f, B, n);
        var y = Tensor.Zeros(B, m, n);
        var dy = KernelTensors.Random(rng, 1f, B, m, n);
        var dx = KernelTensors.Random(rng, 1f, B, m, k);
        var recorder = new RecordingKernels(new CpuKernels(1));
        recorder.BatchedLinear(x, w, bias, y);
        recorder.BatchedGemm(dy, false, w, false, dx, alpha: 0.5f, beta: 1f);
        var graph = recorder.Restart();
        var (y1, dx1) = (y.ToArray(), dx.ToArray());

        Assert.Equal(["BatchedLinear", "BatchedGemm"], graph.Launches.Select(l => l.Kind));
        Assert.Equal(2.0 * B * m * n * k, graph.Launches[0].Flops);
        Assert.Equal(2.0 * B * m * k * n, graph.Launches[1].Flops);
        Assert.Equal(["x", "w", "bias", "y"], graph.Launches[0].Tensors.Select(t => t.Role));
        Assert.Equal(new LaunchScalar[] { new("transA", false), new("transB", false), new("alpha", 0.5f), new("beta", 1f) },
            graph.Launches[1].Scalars);
        Assert.Equal(4.0 * B * m * n * k, graph.Summarize().GemmFlops);

        y.Fill(float.NaN);
        graph.Replay(new CpuKernels(1));
        Assert.Equal(y1, y.ToArray());
        Assert.NotEqual(dx1, dx.ToArray()); // beta = 1: the replay accumulated onto the first result
    }

    private static Tensor MlpBlock(IKernels k, Tensor x, Tensor w1, Tensor b1, Tensor w2)
    {
        var h = Tensor.Zeros(x.Shape.Rows, w1.Shape.Rows);
        k.Linear(x, w1, b1, h);
        k.Activate(Activation.GeluTanh, h, h);
        var y = Tensor.Zeros(x.Shape.Rows, x.Shape.Cols);
        k.Linear(h, w2, null, y);
        k.Add(x, y, y);
        return y;
    }
}
