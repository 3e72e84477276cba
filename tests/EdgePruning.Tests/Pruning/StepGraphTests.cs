using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Recording;
using EdgePruning.Models;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;
using EdgePruning.Tests.Parity;

namespace EdgePruning.Tests.Pruning;

/// <summary>
/// Steps run through a captured graph (<see cref="StepGraph"/>), here the host's recorded graph, which
/// captures, checks and feeds as a CUDA graph does: the steps must give exactly the direct steps' results,
/// which they can only if every step's new inputs (tokens, masks, loss rows) reach the graph.
/// </summary>
public class StepGraphTests
{
    public static TheoryData<string, string, bool, int?> Cases => new()
    {
        { "gpt2", "unfused", false, null },
        { "gpt2", "fused", false, 2 },
        { "llama", "fused", true, 3 },
        { "llama", "unfused", true, 2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CapturedSteps_GiveTheDirectStepsResults_BitForBit(string family, string read, bool recompute, int? micro)
    {
        var settings = new MaskedPassSettings(read == "fused" ? MaskedReadPath.Fused : MaskedReadPath.Unfused, recompute);
        var config = family == "gpt2" ? RandomModels.Gpt2Like() : RandomModels.LlamaLike();
        var task = RandomTokenTask.Create(config.VocabSize, 20, 6, seed: 5);
        var direct = Pruner(config, settings, task, micro, capture: false);
        var captured = Pruner(config, settings, task, micro, capture: true);
        for (int step = 0; step < 5; step++)
        {
            var a = direct.Step();
            var b = captured.Step();
            Assert.Equal(a.Kl, b.Kl);
            Assert.Equal(a.Loss, b.Loss);
            Assert.Equal(direct.LastEdgeGradient!.Span.ToArray(), captured.LastEdgeGradient!.Span.ToArray());
        }
        Assert.Equal(direct.State.EdgeLogAlpha, captured.State.EdgeLogAlpha);
        Assert.Equal(direct.State.NodeLogAlpha, captured.State.NodeLogAlpha);
        var graph = captured.Graph!;
        Assert.Null(graph.Unavailable);
        Assert.Equal(1, graph.Captures);
        Assert.Equal(4, graph.GraphLaunches);
        Assert.True(graph.Operations > 100, $"{graph.Operations} operations");
    }

    [Fact]
    public void AStepOfAnotherLength_IsCapturedAgain_AndStillExact()
    {
        var config = RandomModels.Gpt2Like();
        var shortTask = RandomTokenTask.Create(config.VocabSize, 4, 5, seed: 5).Train;
        var longTask = RandomTokenTask.Create(config.VocabSize, 4, 7, seed: 6).Train;
        // Batches of 4: steps 0 and 1 of length 5, 2 of length 7, 3 of length 5 again.
        var task = new TaskDataset
        {
            Name = "lengths", Train = [.. shortTask, .. shortTask, .. longTask, .. shortTask], Validation = shortTask, Test = shortTask,
        };
        var settings = new MaskedPassSettings(MaskedReadPath.Fused, false);
        var options = Options(null) with { Batch = 4 };
        var direct = new EdgePruner(Model(config, settings, capture: false), task, options);
        var captured = new EdgePruner(Model(config, settings, capture: true), task, options with { CaptureSteps = true });
        for (int step = 0; step < 4; step++)
        {
            Assert.Equal(direct.Step().Loss, captured.Step().Loss);
            Assert.Equal(direct.LastEdgeGradient!.Span.ToArray(), captured.LastEdgeGradient!.Span.ToArray());
        }
        Assert.Equal(3, captured.Graph!.Captures);
        Assert.Equal(3, captured.Graph.GraphLaunches);
        Assert.NotNull(captured.Graph.LastDifference);
    }

    [Fact]
    public void CaptureSteps_OnTheHostTrainer_IsRefusedInOneLine()
    {
        var config = RandomModels.Gpt2Like();
        var model = new EdgeMaskedModel(new Transformer(config, RandomModels.Weights(config, seed: 4), CpuKernels.Instance, "random"), 0);
        var e = Assert.Throws<EdgePruningException>(() =>
            new EdgePruner(model, RandomTokenTask.Create(config.VocabSize, 4, 5, seed: 5), Options(null) with { CaptureSteps = true }));
        Assert.Contains("device backend", e.Message);
    }

    private static EdgePruner Pruner(TransformerConfig config, MaskedPassSettings settings, TaskDataset task, int? micro, bool capture) =>
        new(Model(config, settings, capture), task, Options(micro) with { CaptureSteps = capture });

    private static EdgeMaskedModel Model(TransformerConfig config, MaskedPassSettings settings, bool capture)
    {
        var backend = capture ? (EdgePruning.Kernels.IKernelBackend)new RecordingBackend(new CpuKernelBackend()) { IsRecording = false } : new CpuKernelBackend();
        return new EdgeMaskedModel(Transformer.Placed(config, RandomModels.Weights(config, seed: 4), backend), 0) { Settings = settings };
    }

    private static PruningOptions Options(int? micro) => new()
    {
        Batch = 6, MicroBatch = micro, Steps = 10, NodeMasks = true, InitMean = 0.5, InitStd = 0.5, Ablation = Ablation.Interchange, Seed = 3,
        LrWarmupSteps = 0, SparsityWarmupSteps = 0,
    };
}
