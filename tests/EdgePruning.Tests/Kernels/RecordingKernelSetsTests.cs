using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Recording;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>The recording wrappers of the gradient, training and masked-read kernel sets, and replays of graphs that mix every family.</summary>
public class RecordingKernelSetsTests
{
    /// <summary>One thread: the same calls on the same values give the same bits.</summary>
    private static CpuKernelBackend Host() => new(new CpuKernels(1));

    [Fact]
    public void GradientCalls_AreRecordedAsGradientsLaunches_WithTheirScalarsAndKeyMask()
    {
        var recording = new RecordingGradientKernels(new CpuGradientKernels());
        var x = Tensor.FromData([1f, 2f, 3f], 3);
        var y = Tensor.Zeros(3);
        recording.Axpy(2f, x, y);
        Assert.Equal([2f, 4f, 6f], y.Span.ToArray());
        var q = Tensor.Zeros(1, 2, 1, 2);
        recording.AttentionBackward(q, q, q, q, Tensor.Zeros(1, 2, 1, 2), null, null, true, 0.5f, [true, false]);

        var launches = recording.Graph.Launches;
        Assert.Equal(["Gradients.Axpy", "Gradients.AttentionBackward"], launches.Select(l => l.Name));
        Assert.All(launches, l => Assert.Equal(KernelFamily.Gradients, l.Family));
        Assert.Equal("Axpy", launches[0].Kind);
        Assert.Equal([new LaunchScalar("alpha", 2f)], launches[0].Scalars);
        Assert.Equal(["q", "k", "v", "dOut", "dq"], launches[1].Tensors.Select(t => t.Role));
        Assert.Equal([true, false], launches[1].KeyMask!);
        Assert.All(launches, l => Assert.Equal(0, l.Flops));
    }

    [Fact]
    public void MaskedEdgeSum_CarriesTheWorkOfItsVisibleProducts()
    {
        var recording = new RecordingTrainingKernels(new ReferenceTrainingKernels(CpuKernels.Instance));
        var rng = new Random(1);
        int R = 5, W = 7, N = 33;
        int[] visible = [0, 2, 7, 3, 5];
        var (z, d, c) = (KernelTensors.Random(rng, 1f, R, W), KernelTensors.Random(rng, 1f, W, N), KernelTensors.Random(rng, 1f, N));
        recording.MaskedEdgeSum(z, visible, d, c, Tensor.Zeros(R, N));
        recording.MaskedEdgeSum(z, [], d, c, Tensor.Zeros(R, N));
        var dx = KernelTensors.Random(rng, 1f, R, N);
        recording.MaskedEdgeSumBackward(z, visible, d, dx, Tensor.Zeros(R, W), Tensor.Zeros(W, N));
        recording.MaskedEdgeSumBackward(z, visible, d, dx, null, Tensor.Zeros(W, N));

        var launches = recording.Restart().Launches;
        Assert.Equal(["Training.MaskedEdgeSum", "Training.MaskedEdgeSum", "Training.MaskedEdgeSumBackward", "Training.MaskedEdgeSumBackward"],
            launches.Select(l => l.Name));
        double seen = 2.0 * N * visible.Sum();
        Assert.Equal([seen, 2.0 * N * R * W, 2 * seen, seen], launches.Select(l => l.Flops));
        Assert.Equal(visible, launches[0].HostArray<int>("visible")!);
        Assert.Equal(["z", "d", "dx", "dd"], launches[3].Tensors.Select(t => t.Role));
    }

    [Fact]
    public void KlAndAdamW_RecordTheirRowsAndStep()
    {
        var recording = new RecordingTrainingKernels(new ReferenceTrainingKernels(CpuKernels.Instance));
        var rng = new Random(2);
        var (full, circuit) = (KernelTensors.Random(rng, 2f, 4, 6), KernelTensors.Random(rng, 2f, 4, 6));
        recording.KlDivergence(full, circuit, [3, 0], [1, 2, 5], Tensor.Zeros(2), Tensor.Zeros(4, 6), 0.25f);
        var p = KernelTensors.Random(rng, 1f, 5);
        recording.AdamW(p, KernelTensors.Random(rng, 1f, 5), Tensor.Zeros(5), Tensor.Zeros(5), new AdamWStep(0.1, 0.01, 7));

        var (kl, adam) = (recording.Graph.Launches[0], recording.Graph.Launches[1]);
        Assert.Equal("Training.KlDivergence", kl.Name);
        Assert.Equal([3, 0], kl.HostArray<int>("rows")!);
        Assert.Equal([1, 2, 5], kl.HostArray<int>("columns")!);
        Assert.Equal([new LaunchScalar("rows", 2), new LaunchScalar("columns", 3), new LaunchScalar("gradScale", 0.25f)], kl.Scalars);
        Assert.Equal("Training.AdamW", adam.Name);
        Assert.Contains(new LaunchScalar("stepCount", 7), adam.Scalars);
    }

    [Fact]
    public void MaskedRead_CarriesTheWorkOfItsProducts()
    {
        const int R = 3, U = 4, N = 5, d = 8;
        var inputs = MaskedReadInputs.Random(3, MaskedReadNormKind.LayerNorm, R, U, N, d);
        var recording = new RecordingMaskedRead(MaskedReadReference.Instance);
        var (mean, rstd) = (Tensor.Zeros(R, N), Tensor.Zeros(R, N));
        recording.Forward(inputs.Z, inputs.Stack, inputs.Corrupted, inputs.Norm, Tensor.Zeros(R, N, d), mean, rstd);
        var dY = KernelTensors.Random(new Random(4), 1f, R, N, d);
        recording.Backward(inputs.Z, inputs.Stack, inputs.Corrupted, inputs.Norm, mean, rstd, dY, Tensor.Zeros(R, U), Tensor.Zeros(U, N, d), null);
        recording.Backward(inputs.Z, inputs.Stack, inputs.Corrupted, inputs.Norm, mean, rstd, dY, null, null, Tensor.Zeros(N, d));

        var launches = recording.Graph.Launches;
        Assert.Equal(["MaskedRead.Forward", "MaskedRead.Backward", "MaskedRead.Backward"], launches.Select(l => l.Name));
        double product = 2.0 * R * U * N * d;
        Assert.Equal([product, 3 * product, product], launches.Select(l => l.Flops));
        Assert.Equal(["z", "stack", "corrupted", "gamma", "beta", "y", "mean", "rstd"], launches[0].Tensors.Select(t => t.Role));
        Assert.Equal([new LaunchScalar("norm", MaskedReadNormKind.LayerNorm), new LaunchScalar("eps", MaskedReadInputs.Eps)], launches[0].Scalars);
    }

    [Fact]
    public void RejectedCalls_OfEveryFamily_AreNotRecorded()
    {
        var backend = new RecordingBackend(Host());
        Assert.Throws<ShapeException>(() => backend.Kernels.Add(Tensor.Zeros(3), Tensor.Zeros(4), Tensor.Zeros(3)));
        Assert.Throws<ShapeException>(() => backend.Gradients.Axpy(1f, Tensor.Zeros(3), Tensor.Zeros(4)));
        Assert.Throws<ShapeException>(() => backend.Training.MaskedEdgeSum(Tensor.Zeros(2, 3), [1, 4], Tensor.Zeros(3, 5), Tensor.Zeros(5),
            Tensor.Zeros(2, 5)));
        var inputs = MaskedReadInputs.Random(5, MaskedReadNormKind.RmsNorm, 2, 3, 4, 8);
        Assert.Throws<ShapeException>(() => backend.MaskedRead.Forward(inputs.Z, Tensor.Zeros(3, 4, 7), inputs.Corrupted, inputs.Norm,
            Tensor.Zeros(2, 4, 8), null, Tensor.Zeros(2, 4)));
        Assert.Equal(0, backend.Graph.Count);

        backend.Gradients.Axpy(1f, Tensor.Zeros(3), Tensor.Zeros(3));
        Assert.Equal("Gradients.Axpy", Assert.Single(backend.Graph.Launches).Name);
    }

    [Fact]
    public void Replay_OfEveryFamily_OnNewInputContents_EqualsAFreshRun()
    {
        var backend = new RecordingBackend(Host());
        var recorded = MixedKernelWork.Random(seed: 1);
        recorded.Run(backend);
        var graph = backend.Restart();
        Assert.Equal(MixedKernelWork.Launches, graph.Count);
        var first = recorded.Outputs.Select(o => o.Tensor.Span.ToArray()).ToArray();

        var fresh = MixedKernelWork.Random(seed: 2);
        recorded.LoadInputsOf(fresh);
        graph.Replay(Host());
        fresh.Run(Host());

        Assert.Equal(0, backend.Graph.Count);
        for (int i = 0; i < fresh.Outputs.Count; i++)
        {
            var (name, expected) = fresh.Outputs[i];
            var actual = recorded.Outputs[i].Tensor.Span.ToArray();
            Assert.True(expected.Span.ToArray().AsSpan().SequenceEqual(actual), $"replayed {name} differs from a fresh run");
            Assert.False(first[i].AsSpan().SequenceEqual(actual), $"the replay left the first {name} in place");
        }
    }

    [Fact]
    public void ReplayOnModelKernels_RefusesAGraphWithOtherFamilies_BeforeIssuingAnything()
    {
        var backend = new RecordingBackend(Host());
        var a = Tensor.FromData([1f, 2f], 2);
        var y = Tensor.Zeros(2);
        backend.Kernels.Add(a, a, y);
        backend.Gradients.Fill(a, 0f);
        var graph = backend.Restart();
        y.Span.Clear();

        var e = Assert.Throws<InvalidOperationException>(() => graph.Replay(new CpuKernels(1)));
        Assert.Contains("Gradients.Fill", e.Message);
        Assert.Equal([0f, 0f], y.Span.ToArray());
        Assert.Throws<InvalidOperationException>(() => graph.Launches[1].Replay(new CpuKernels(1)));
    }
}
