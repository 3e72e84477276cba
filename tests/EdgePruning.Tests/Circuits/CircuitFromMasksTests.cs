using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class CircuitFromMasksTests
{
    [Fact]
    public void DenseMasks_KeepEdgesAboveThreshold_InGraphOrder()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        var masks = CircuitTestGraphs.RandomMasks(graph, 11);
        var c = Circuit.FromMasks(graph, masks, threshold: 0.5);

        Assert.Equal(graph.EdgeCount, c.Edges.Count);
        Assert.Equal(graph.EdgeCount, c.TotalEdges);
        int i = 0;
        long kept = 0;
        for (int r = 0; r < graph.Readers.Count; r++)
            for (int w = 0; w < graph.Readers[r].VisibleWriters; w++, i++)
            {
                Assert.Equal(graph.Writers[w] + "->" + graph.Readers[r].Name, c.Edges[i].Name);
                Assert.Equal(masks[r][w], c.Edges[i].Mask);
                Assert.Equal(masks[r][w] > 0.5, c.Edges[i].Kept);
                if (c.Edges[i].Kept) kept++;
            }
        Assert.Equal(kept, c.KeptEdgeCount);
        Assert.Equal(1 - (double)kept / graph.EdgeCount, c.EdgeSparsity);
    }

    [Fact]
    public void NodeMask_RemovesEveryEdgeOfARemovedWriter_AndKeepsItsMaskValues()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        var keptWriters = Enumerable.Repeat(true, graph.Writers.Count).ToArray();
        int removed = graph.HeadWriter(1, 2);
        keptWriters[removed] = false;
        keptWriters[1] = false; // pos_embeds

        var c = Circuit.FromMasks(graph, (r, w) => 0.9, (r, w) => true, keptWriters);

        foreach (var e in c.Edges)
        {
            bool fromRemoved = e.Writer == "a1.h2" || e.Writer == "pos_embeds";
            Assert.Equal(!fromRemoved, e.Kept);
            Assert.Equal(0.9, e.Mask);
        }
        long fromA12 = graph.Readers.Count(r => r.VisibleWriters > removed);
        long fromPos = graph.Readers.Count;
        Assert.Equal(graph.EdgeCount - fromA12 - fromPos, c.KeptEdgeCount);
        Assert.DoesNotContain("a1.h2", c.Nodes);
        Assert.DoesNotContain("pos_embeds", c.Nodes);
        Assert.Equal(graph.Writers.Count - 2 + 1, c.NodeCount);
    }

    [Fact]
    public void EdgeAndNodeMasks_Combine_EffectiveEdgeIsBoth()
    {
        var graph = CircuitTestGraphs.Tracr();
        var keptWriters = new bool[graph.Writers.Count];
        Array.Fill(keptWriters, true);
        keptWriters[graph.MlpWriter(0)] = false;
        // Edge kept flags: only edges out of m0 and out of a0.h0.
        var c = Circuit.FromMasks(graph, (r, w) => w, (r, w) => w == graph.MlpWriter(0) || w == graph.HeadWriter(0, 0), keptWriters);
        Assert.All(c.Edges.Where(e => e.Writer == "m0"), e => Assert.False(e.Kept));
        Assert.All(c.Edges.Where(e => e.Writer == "a0.h0"), e => Assert.True(e.Kept));
        Assert.Equal(c.Edges.Count(e => e.Writer == "a0.h0"), c.KeptEdgeCount);
    }

    [Fact]
    public void Nodes_AreWritersAndReaderNodesOfKeptEdges_PlusLogits()
    {
        var graph = CircuitTestGraphs.Tracr();
        var keep = new HashSet<string> { "tok_embeds->a1.h0<k>", "a1.h0->m2" };
        var c = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => keep.Contains(graph.Writers[w] + "->" + graph.Readers[r].Name));
        Assert.Equal(["tok_embeds", "a1.h0", "m2", "logits"], c.Nodes);
        Assert.Equal(4, c.NodeCount);
    }

    [Fact]
    public void GroupedKeyReader_TouchesEveryHeadOfItsGroup()
    {
        var graph = CircuitTestGraphs.LlamaGqa();
        var c = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => graph.Readers[r].Name == "a1.kv1<k>" && graph.Writers[w] == "m0");
        Assert.Equal(["m0", "a1.h4", "a1.h5", "a1.h6", "a1.h7", "logits"], c.Nodes);
    }

    [Fact]
    public void WrongShapes_AreRejected()
    {
        var graph = CircuitTestGraphs.Tracr();
        Assert.Throws<ArgumentException>(() => Circuit.FromMasks(graph, new double[3][]));
        Assert.Throws<ArgumentException>(() => Circuit.FromMasks(graph, (r, w) => 1, (r, w) => true, new bool[2]));
        Assert.Throws<ArgumentException>(() => Circuit.FromMasks(graph, (r, w) => double.NaN, (r, w) => true));
    }

    [Fact]
    public void KeptAndMaskMatrices_InvertFromMasks()
    {
        var graph = CircuitTestGraphs.LlamaGqa(1);
        var masks = CircuitTestGraphs.RandomMasks(graph, 12);
        var c = Circuit.FromMasks(graph, masks);
        Assert.Equal(masks, c.MaskMatrix(graph));
        var kept = c.KeptMatrix(graph);
        for (int r = 0; r < masks.Length; r++)
            Assert.Equal(masks[r].Select(m => m > 0.5), kept[r]);
    }
}
