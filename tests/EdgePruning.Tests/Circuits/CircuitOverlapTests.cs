using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class CircuitOverlapTests
{
    private static Circuit Keeping(EdgeGraph graph, params string[] edges)
    {
        var index = new GraphEdgeIndex(graph);
        var kept = Circuit.NewMatrix<bool>(graph);
        foreach (var e in edges)
        {
            Assert.True(index.TryFind(e, out int r, out int w), e);
            kept[r][w] = true;
        }
        var masks = kept.Select(row => row.Select(k => k ? 1.0 : 0.0).ToArray()).ToArray();
        return Circuit.FromMatrices(graph, masks, kept, "test-model");
    }

    [Fact]
    public void ACircuitWithItself_SharesEverything()
    {
        var graph = CircuitTestGraphs.LlamaGqa();
        var a = CircuitTestGraphs.RandomCircuit(graph, seed: 5);
        var o = CircuitOverlap.Of(a, a);
        Assert.Equal(a.KeptEdgeCount, o.SharedEdges);
        Assert.Equal((0, 0, 0, 0), (o.EdgesOnlyInA, o.EdgesOnlyInB, o.NodesOnlyInA, o.NodesOnlyInB));
        Assert.Equal(1, o.Edges.IoU);
        Assert.Equal(1, o.Nodes.IoU);
        Assert.Equal(CircuitOverlap.NodesOf(a).Count, o.SharedNodes);
        // |A|·|A|/E expected by chance, so A shares E/|A| times that with itself.
        Assert.Equal((double)graph.EdgeCount / a.KeptEdgeCount, o.TimesChance, 1e-12);
    }

    [Fact]
    public void CircuitsOnDisjointNodes_ShareNothing()
    {
        var graph = CircuitTestGraphs.LlamaGqa();
        var a = Keeping(graph, "a0.h0->m0", "m0->a1.h2<q>");
        var b = Keeping(graph, "a0.h1->a1.kv1<v>", "a1.h7->logits");
        var o = CircuitOverlap.Of(a, b);
        Assert.Equal((0, 2, 2), (o.SharedEdges, o.EdgesOnlyInA, o.EdgesOnlyInB));
        Assert.Equal(["a0.h0", "m0", "a1.h2"], CircuitOverlap.NodesOf(a));
        Assert.Equal(["a0.h1", "a1.kv1", "a1.h7", "logits"], CircuitOverlap.NodesOf(b));
        Assert.Equal((0, 3, 4), (o.SharedNodes, o.NodesOnlyInA, o.NodesOnlyInB));
        Assert.Equal(0, o.Edges.IoU);
        Assert.Equal(0, o.Nodes.IoU);
        Assert.Equal(0, o.TimesChance);
    }

    [Fact]
    public void PartlySharedCircuits_CountEachSide()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        var a = Keeping(graph, "tok_embeds->a0.h0<q>", "a0.h0->m0", "m0->logits");
        var b = Keeping(graph, "a0.h0->m0", "m0->logits", "pos_embeds->m1", "m1->logits");
        var o = CircuitOverlap.Of(a, b);
        Assert.Equal((2, 1, 2), (o.SharedEdges, o.EdgesOnlyInA, o.EdgesOnlyInB));
        Assert.Equal(2.0 / 5, o.Edges.IoU, 1e-12);
        Assert.Equal(2.0 / 3, o.Edges.Precision, 1e-12);
        Assert.Equal(2.0 / 4, o.Edges.Recall, 1e-12);
        Assert.Equal(3.0 * 4 / graph.EdgeCount, o.ExpectedSharedEdges, 1e-12);
        // Nodes: A {tok_embeds, a0.h0, m0, logits}, B {a0.h0, m0, logits, pos_embeds, m1}.
        Assert.Equal((3, 1, 2), (o.SharedNodes, o.NodesOnlyInA, o.NodesOnlyInB));
    }

    [Fact]
    public void CircuitsOfDifferentShapes_AreRefused()
    {
        var a = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.LlamaGqa(), seed: 1);
        var b = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Gpt2Small(), seed: 1);
        var e = Assert.Throws<CircuitFormatException>(() => CircuitOverlap.Of(a, b));
        Assert.Contains("different shapes", e.Message);
    }
}
