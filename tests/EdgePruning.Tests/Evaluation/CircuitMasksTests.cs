using EdgePruning.Autodiff.Ops;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Tests.Evaluation;

public class CircuitMasksTests
{
    private static MaskLayout Layout() => new(EdgeGraph.For(RandomModels.Gpt2Like(layers: 2, heads: 3), 2));

    [Fact]
    public void NodeParameterTensors_AreEachEmbeddingEachLayersHeadsAndEachMlp_CoveringEveryWriterOnce()
    {
        var layout = Layout();
        var ranges = CircuitMasks.NodeParameterTensors(layout).ToArray();
        Assert.Equal(new[] { (0, 1), (1, 1), (2, 3), (5, 1), (6, 3), (9, 1) }, ranges);
        Assert.Equal(layout.Graph.Writers.Count, ranges.Sum(r => r.Length));
    }

    [Fact]
    public void NodeEvalRule_RoundsExpectedZerosPerTensor_NotOverAllWriters()
    {
        // Both MLPs have P(z=0) = 0.4: per tensor ([1] each) round(0.4) = 0 zeroes neither, as the reference
        // does; pooled over all writers round(0.8) = 1 would zero one of them.
        var layout = Layout();
        var state = new MaskState(layout.EdgeCount, layout.Graph.Writers.Count, 0.01);
        Array.Fill(state.EdgeLogAlpha, 10f);
        Array.Fill(state.NodeLogAlpha, 10f);
        float mlp = (float)(HardConcreteEval.ZeroLogit - Math.Log(0.4 / 0.6)); // σ(ZeroLogit − log α) = 0.4
        Assert.Equal(0.4, HardConcreteEval.ProbabilityZero(mlp), 5);
        state.NodeLogAlpha[layout.Graph.MlpWriter(0)] = mlp;
        state.NodeLogAlpha[layout.Graph.MlpWriter(1)] = mlp;
        var masks = CircuitMasks.From(layout, state, nodeMasks: true);
        Assert.True(masks.NodeSoft[layout.Graph.MlpWriter(0)] > 0, "MLP 0 was zeroed by a pooled n0");
        Assert.True(masks.NodeSoft[layout.Graph.MlpWriter(1)] > 0, "MLP 1 was zeroed by a pooled n0");

        // A lone MLP with P(z=0) = 0.6 is zeroed by its own tensor's rule.
        state.NodeLogAlpha[layout.Graph.MlpWriter(1)] = (float)(HardConcreteEval.ZeroLogit - Math.Log(0.6 / 0.4));
        masks = CircuitMasks.From(layout, state, nodeMasks: true);
        Assert.Equal(0f, masks.NodeSoft[layout.Graph.MlpWriter(1)]);
        Assert.True(masks.NodeSoft[layout.Graph.MlpWriter(0)] > 0);
    }
}
