using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning.Benchmarking;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Planning;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Planning;

public class MemoryPlannerTests
{
    /// <summary>
    /// Stated factor between the plan and the arena: 2%. The arena rounds each tensor up to 64 bytes and
    /// holds the pass's edge and node gradients, which the plan books under the run's mask state.
    /// </summary>
    private const double ArenaTolerance = 0.02;

    private static TransformerConfig Shape(string family) => family switch
    {
        "gpt2" => BenchmarkShapes.Tiny(),
        "llama" => KnownShapes.Llama(layers: 2, heads: 4, kvHeads: 2, dim: 64, mlp: 96, vocab: 300, positions: 64),
        _ => throw new ArgumentOutOfRangeException(nameof(family)),
    };

    [Theory]
    [InlineData("gpt2", 2, "interchange", true, 4, 16, 2)]
    [InlineData("gpt2", 1, "zero", false, 3, 12, 0)]
    [InlineData("gpt2", 2, "interchange", true, 2, 64, 0)]
    [InlineData("llama", 0, "mean", true, 2, 20, 1)]
    [InlineData("llama", 0, "optimal", false, 4, 8, 4)]
    [InlineData("llama", 0, "interchange", true, 3, 10, 3)]
    public void CpuPlan_ArenaTerms_MatchTheTrainersArenaHighWaterMark(string family, int embeddingNodes, string ablation,
        bool nodeMasks, int batch, int seq, int micro)
    {
        var config = Shape(family);
        var model = new Transformer(config, RandomModelWriter.CreateWeights(config, seed: 3), new CpuKernels(1));
        var masked = new EdgeMaskedModel(model, embeddingNodes);
        var task = RandomTokenTask.Create(config.VocabSize, batch, seq, seed: 4);
        var pruner = new EdgePruner(masked, task, new PruningOptions
        {
            Batch = batch, MicroBatch = micro == 0 ? null : micro, Steps = 2, NodeMasks = nodeMasks, Ablation = AblationNames.Parse(ablation),
        });
        pruner.Step();

        var plan = MemoryPlanner.Plan(MemoryPlanRequest.ForCpuTrainer(pruner));
        double ratio = (double)pruner.ScratchHighWaterBytes / plan.ArenaBytes;
        Assert.True(Math.Abs(ratio - 1) <= ArenaTolerance,
            $"arena high-water mark {pruner.ScratchHighWaterBytes:N0} B vs planned {plan.ArenaBytes:N0} B (ratio {ratio:F4})\n{plan.ToText()}");
    }

    [Theory]
    [InlineData("gpt2", 2, "interchange", true, "fused")]
    [InlineData("gpt2", 2, "interchange", true, "recompute")]
    [InlineData("gpt2", 1, "zero", false, "fused+recompute")]
    [InlineData("llama", 0, "interchange", true, "fused")]
    [InlineData("llama", 0, "optimal", true, "fused+recompute")]
    [InlineData("llama", 0, "mean", false, "recompute")]
    public void CpuPlan_OfFusedReadsAndRecomputation_MatchesTheTrainersArenaHighWaterMark(string family, int embeddingNodes,
        string ablation, bool nodeMasks, string settings)
    {
        var config = Shape(family);
        var model = new Transformer(config, RandomModelWriter.CreateWeights(config, seed: 3), new CpuKernels(1));
        var masked = new EdgeMaskedModel(model, embeddingNodes)
        {
            Settings = new MaskedPassSettings(settings.Contains("fused") ? MaskedReadPath.Fused : MaskedReadPath.Unfused, settings.Contains("recompute")),
        };
        var task = RandomTokenTask.Create(config.VocabSize, 4, 12, seed: 4);
        var pruner = new EdgePruner(masked, task, new PruningOptions
        {
            Batch = 4, MicroBatch = 2, Steps = 2, NodeMasks = nodeMasks, Ablation = AblationNames.Parse(ablation),
        });
        pruner.Step();

        var request = MemoryPlanRequest.ForCpuTrainer(pruner);
        Assert.Equal(settings.Contains("fused"), request.FusedReads);
        Assert.Equal(settings.Contains("recompute") ? ActivationSchedule.RecomputePerLayer : ActivationSchedule.KeepAllLayers, request.Schedule);
        var plan = MemoryPlanner.Plan(request);
        double ratio = (double)pruner.ScratchHighWaterBytes / plan.ArenaBytes;
        Assert.True(Math.Abs(ratio - 1) <= ArenaTolerance,
            $"arena high-water mark {pruner.ScratchHighWaterBytes:N0} B vs planned {plan.ArenaBytes:N0} B (ratio {ratio:F4})\n{plan.ToText()}");
    }

    [Theory]
    [InlineData(ActivationSchedule.KeepAllLayers)]
    [InlineData(ActivationSchedule.RecomputePerLayer)]
    public void Total_GrowsWithTheMicroBatchAndTheBatch(ActivationSchedule schedule)
    {
        var request = new MemoryPlanRequest { Config = KnownShapes.Gpt2Small(), EmbeddingNodes = 2, Batch = 8, SeqLen = 32, Schedule = schedule };
        long last = 0;
        for (int micro = 1; micro <= 8; micro++)
        {
            long total = MemoryPlanner.Plan(request with { MicroBatch = micro }).TotalBytes;
            Assert.True(total > last, $"micro-batch {micro}: {total:N0} B is not above {last:N0} B");
            last = total;
        }
        last = 0;
        for (int batch = 1; batch <= 8; batch++)
        {
            long total = MemoryPlanner.Plan(request with { Batch = batch }).TotalBytes;
            Assert.True(total > last, $"batch {batch}: {total:N0} B is not above {last:N0} B");
            last = total;
        }
    }

    [Fact]
    public void CodeLlama13B_Bf16_Weights26GB_AndMicroBatchesOf32SequencesFit80GB()
    {
        const long budget = 80_000_000_000;
        var request = new MemoryPlanRequest
        {
            Config = KnownShapes.CodeLlama13B(), EmbeddingNodes = 0, WeightDType = DType.BF16, ActivationDType = DType.BF16,
            Batch = 32, SeqLen = 72, Schedule = ActivationSchedule.RecomputePerLayer,
        };
        var plan = MemoryPlanner.Plan(request);
        Assert.InRange(plan["weights"].Bytes, 25_500_000_000L, 26_500_000_000L);
        // DESIGN.md §4: 3,872,820 edges; 40·41 writers; 8 f32 per mask.
        Assert.Equal((3_872_820L + 40 * 41) * 8 * 4, plan["mask_state"].Bytes);

        int micro = MemoryPlanner.LargestMicroBatch(request, budget);
        Assert.InRange(micro, 1, 32);
        var fitting = MemoryPlanner.Plan(request with { MicroBatch = micro });
        Assert.True(fitting.Fits(budget), fitting.ToText());
        Assert.True(fitting.Request.MicroBatches * micro >= 32);
        if (micro < 32) Assert.False(MemoryPlanner.Plan(request with { MicroBatch = micro + 1 }).Fits(budget));

        // Keeping every layer in f32, as the CPU trainer does, would not fit even one sequence at a time.
        var keepAll = request with { WeightDType = DType.F32, ActivationDType = DType.F32, Schedule = ActivationSchedule.KeepAllLayers };
        Assert.Equal(0, MemoryPlanner.LargestMicroBatch(keepAll, budget));
    }

    [Fact]
    public void Fits_ComparesTheTotalWithTheBudget()
    {
        var plan = MemoryPlanner.Plan(new MemoryPlanRequest
        {
            Config = KnownShapes.Gpt2Small(), EmbeddingNodes = 2, Batch = 4, SeqLen = 16, Schedule = ActivationSchedule.KeepAllLayers,
        });
        Assert.True(plan.Fits(plan.TotalBytes));
        Assert.False(plan.Fits(plan.TotalBytes - 1));
        Assert.Equal(0, MemoryPlanner.LargestMicroBatch(plan.Request, plan.RunBytes));
    }

    [Fact]
    public void TextAndJson_ListEveryTermAndAddUpToTheTotal()
    {
        var plan = MemoryPlanner.Plan(new MemoryPlanRequest
        {
            Config = KnownShapes.Llama7B(), EmbeddingNodes = 0, WeightDType = DType.BF16, ActivationDType = DType.BF16,
            Batch = 8, SeqLen = 64, MicroBatch = 2, Schedule = ActivationSchedule.RecomputePerLayer,
        });
        var json = plan.ToJson();
        var terms = json["terms"]!.AsArray();
        Assert.Equal(plan.Terms.Count, terms.Count);
        Assert.Equal(json["total_bytes"]!.GetValue<long>(), terms.Sum(t => t!["bytes"]!.GetValue<long>()));
        Assert.Equal(4, json["micro_batches"]!.GetValue<int>());
        string text = plan.ToText();
        foreach (var t in plan.Terms) Assert.Contains(t.Key, text);
        Assert.Contains(ByteCount.Format(plan.TotalBytes), text);
    }
}
