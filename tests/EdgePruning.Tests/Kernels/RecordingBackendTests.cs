using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Recording;
using EdgePruning.Kernels.Training;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using EdgePruning.Tests.Parity;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// <see cref="RecordingBackend"/>: every kernel set of a backend recorded into one graph, everything else the
/// inner backend's; and the graph of whole pruning steps on the host backend.
/// </summary>
public class RecordingBackendTests(ITestOutputHelper output)
{
    private const int Sequences = 4, MicroBatch = 2, TokensPerSequence = 6;

    [Fact]
    public void EveryKernelSet_RecordsIntoOneGraph_InIssueOrder()
    {
        var inner = new CpuKernelBackend();
        var backend = new RecordingBackend(inner);
        Assert.Same(inner.Kernels, backend.Kernels.Inner);
        Assert.Same(inner.Gradients, backend.Gradients.Inner);
        Assert.Same(inner.Training, backend.Training.Inner);
        Assert.Same(inner.MaskedRead, backend.MaskedRead.Inner);
        Assert.All(new[] { backend.Kernels.Recorder, backend.Gradients.Recorder, backend.Training.Recorder, backend.MaskedRead.Recorder },
            r => Assert.Same(backend.Recorder, r));
        Assert.Equal(inner.Name, backend.Name);
        Assert.Equal(inner.DTypes, backend.DTypes);

        MixedKernelWork.Random(seed: 1).Run(backend);
        var graph = backend.Restart();
        Assert.Equal(["Linear", "LayerNorm", "Gradients.Fill", "Gradients.LayerNormBackward", "Training.MaskedEdgeSum", "Gradients.Fill",
            "Training.KlDivergence", "MaskedRead.Forward", "Gradients.Fill", "Gradients.Fill", "MaskedRead.Backward"], graph.Launches.Select(l => l.Name));
        var summary = graph.Summarize();
        Assert.Equal(new Dictionary<KernelFamily, int>
        {
            [KernelFamily.Kernels] = 2, [KernelFamily.Gradients] = 5, [KernelFamily.Training] = 2, [KernelFamily.MaskedRead] = 2,
        }, summary.ByFamily);
        Assert.Equal(4, summary.ByKind["Gradients.Fill"]);
        Assert.Equal(graph.Launches.Sum(l => l.Flops), summary.GemmFlops);
        Assert.Equal(0, backend.Graph.Count);
    }

    [Fact]
    public void PausedRecording_OnlyForwards_AndAMissingKernelSetFailsWhereItIsUsed()
    {
        var backend = new RecordingBackend(new CpuKernelBackend()) { IsRecording = false };
        var work = MixedKernelWork.Random(seed: 1);
        work.Run(backend);
        Assert.Equal(0, backend.Graph.Count);
        Assert.NotEqual(0f, work.Rstd.Span[0]);
        Assert.False(backend.Gradients.IsRecording);

        var partial = new RecordingBackend(new ReplacedSetBackend(gradientsMissing: "no gradient kernels here"));
        var a = Tensor.FromData([1f], 1);
        partial.Kernels.Add(a, a, Tensor.Zeros(1));
        Assert.Equal("no gradient kernels here", Assert.Throws<NotSupportedException>(() => ((IKernelBackend)partial).Gradients).Message);
        Assert.Equal(1, partial.Graph.Count);
    }

    /// <summary>
    /// With node masks sampled inside (0, 1), the masks differ from step to step: they stay tensors read by the
    /// kernels (scale by), so the launches still do not.
    /// </summary>
    [Theory]
    [InlineData("gpt2", false)]
    [InlineData("llama", false)]
    [InlineData("gpt2", true)]
    [InlineData("llama", true)]
    public void TwoConsecutivePruningSteps_IssueTheSameLaunches_GradientKernelsIncluded(string family, bool nodeMasks)
    {
        var (backend, pruner, config) = Pruner(family, new CpuKernelBackend(), nodeMasks);
        pruner.Step();
        var first = backend.Restart();
        pruner.Step();
        var second = backend.Restart();

        Assert.True(first.SameLaunchesAs(second, out var difference), difference);
        var summary = first.Summarize();
        output.WriteLine($"{family}: {summary}");
        int microBatches = Sequences / MicroBatch;
        // One attention backward per layer for all heads; one per head when heads share KV heads.
        int perLayer = config.EffectiveKvHeads == config.Heads ? 1 : config.Heads;
        Assert.Equal(config.Layers * perLayer * microBatches, summary.ByKind["Gradients.AttentionBackward"]);
        Assert.Equal(microBatches, summary.ByKind["Training.KlDivergence"]);
        Assert.Equal(summary.Launches, summary.ByFamily.Values.Sum());
        Assert.True(summary.ByFamily[KernelFamily.Gradients] > config.Layers * perLayer * microBatches);
        if (nodeMasks) Assert.True(summary.ByKind["Gradients.ScaleBy"] > 0);
        else Assert.False(summary.ByKind.ContainsKey("Gradients.ScaleBy"));
    }

    [Fact]
    public void Replay_OfARecordedStep_RecomputesItsMaskGradientExactly()
    {
        var downloads = new DownloadLog(new CpuKernelBackend(new CpuKernels(1)));
        var (backend, pruner, _) = Pruner("llama", downloads);
        pruner.Step();
        var graph = backend.Restart();
        long edges = pruner.Model.EdgeCount;
        var (edgeGrad, atDownload) = downloads.Downloads.Last(d => d.Tensor.Count == edges);
        Assert.Contains(atDownload.Span.ToArray(), v => v != 0f);

        edgeGrad.Span.Clear();
        graph.Replay(downloads.Inner);

        Assert.Equal(atDownload.Span.ToArray(), edgeGrad.Span.ToArray());
    }

    /// <summary>An edge pruner of a tiny random model built on a recording backend over <paramref name="inner"/>; recording starts with its first step.</summary>
    private static (RecordingBackend Backend, EdgePruner Pruner, TransformerConfig Config) Pruner(string family, IKernelBackend inner,
        bool nodeMasks = false)
    {
        var config = family == "gpt2" ? RandomModels.Gpt2Like() : RandomModels.LlamaLike();
        var backend = new RecordingBackend(inner);
        var model = new EdgeMaskedModel(Transformer.Placed(config, RandomModels.Weights(config, seed: 4), backend), config.LearnedPositions ? 2 : 1);
        var task = RandomTokenTask.Create(config.VocabSize, Sequences, TokensPerSequence, seed: 5);
        var pruner = new EdgePruner(model, task, new PruningOptions
        {
            Batch = Sequences,
            MicroBatch = MicroBatch,
            Steps = 10,
            NodeMasks = nodeMasks,
            InitMean = 0.5,
            Ablation = Ablation.Interchange,
            Seed = 3,
        });
        backend.Restart();
        return (backend, pruner, config);
    }

    /// <summary>A backend that keeps every tensor it is asked to download, with a copy of what it held then.</summary>
    private sealed class DownloadLog(IKernelBackend inner) : IKernelBackend
    {
        public IKernelBackend Inner => inner;
        public List<(Tensor Tensor, Tensor AtDownload)> Downloads { get; } = [];

        public Tensor Download(Tensor tensor)
        {
            var copy = inner.Download(tensor);
            Downloads.Add((tensor, copy.Clone()));
            return copy;
        }

        public string Name => inner.Name;
        public string Description => inner.Description;
        public IKernels Kernels => inner.Kernels;
        public IGradientKernels Gradients => inner.Gradients;
        public ITrainingKernels Training => inner.Training;
        public IMaskedReadKernels MaskedRead => inner.MaskedRead;
        public IReadOnlyList<DType> DTypes => inner.DTypes;
        public Tensor Empty(DType dtype, params int[] dims) => inner.Empty(dtype, dims);
        public ITensorScope OpenScope() => inner.OpenScope();
        public Tensor Upload(Tensor host, DType dtype) => inner.Upload(host, dtype);
        public void CopyFromHost(Tensor host, Tensor destination) => inner.CopyFromHost(host, destination);
        public void Synchronize() => inner.Synchronize();
        public void Reset() => inner.Reset();
        public int LiveAllocations => inner.LiveAllocations;
        public void Dispose() => inner.Dispose();
    }
}
