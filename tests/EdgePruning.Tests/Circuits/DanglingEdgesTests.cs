using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class DanglingEdgesTests
{
    private static Circuit WithEdges(EdgeGraph graph, params string[] kept)
    {
        var set = kept.ToHashSet();
        var index = new GraphEdgeIndex(graph);
        foreach (var e in kept) Assert.True(index.TryFind(e, out _, out _), e);
        return Circuit.FromMasks(graph, (r, w) => 1, (r, w) => set.Contains(index.Name(r, w)));
    }

    [Fact]
    public void HandMadeTracrCircuit_KeepsOnlyPathsFromInputsToLogits()
    {
        var graph = CircuitTestGraphs.Tracr();
        var c = WithEdges(graph,
            // a complete path: survives
            "tok_embeds->a0.h0<v>", "a0.h0->m0", "m0->logits",
            // m1 has no input, so m1->m2 goes, then m2 has no input and m2->logits goes
            "m1->m2", "m2->logits",
            // m3 reaches nothing, so a1.h0 reaches nothing, so its query edge goes
            "pos_embeds->a1.h0<q>", "a1.h0->m3",
            // a2.h0 has no input; a3.h0 has input but no output
            "a2.h0->logits", "tok_embeds->a3.h0<k>");

        var pruned = DanglingEdges.Prune(c, graph);

        Assert.Equal(["tok_embeds->a0.h0<v>", "a0.h0->m0", "m0->logits"], pruned.KeptEdgeNames);
        Assert.Equal(["tok_embeds", "a0.h0", "m0", "logits"], pruned.Nodes);
        Assert.Equal(c.Edges.Select(e => e.Mask), pruned.Edges.Select(e => e.Mask));
        Assert.Equal(9, c.KeptEdgeCount);
    }

    [Fact]
    public void CompleteCircuit_IsAFixedPoint()
    {
        var graph = CircuitTestGraphs.Tracr();
        var c = WithEdges(graph, "tok_embeds->m0", "m0->a1.h0<q>", "pos_embeds->a1.h0<k>", "a1.h0->m1", "m1->a3.h0<v>", "a3.h0->logits");
        var pruned = DanglingEdges.Prune(c, graph);
        Assert.Equal(c.KeptEdgeNames, pruned.KeptEdgeNames);
        Assert.Equal(pruned.KeptEdgeNames, DanglingEdges.Prune(pruned, graph).KeptEdgeNames);
    }

    [Fact]
    public void HeadCountsAsFed_WhenAnyOfItsQkvReadersIsFed()
    {
        var graph = CircuitTestGraphs.Tracr();
        // Only the key input is fed; the query input's edge comes from a writer without input.
        var c = WithEdges(graph, "pos_embeds->a1.h0<k>", "m0->a1.h0<q>", "a1.h0->logits");
        var pruned = DanglingEdges.Prune(c, graph);
        Assert.Equal(["pos_embeds->a1.h0<k>", "a1.h0->logits"], pruned.KeptEdgeNames);
    }

    [Fact]
    public void WithoutEmbeddingNodes_EveryNodeHasInput_AndGroupedReadersReachThroughAnyHeadOfTheGroup()
    {
        var graph = CircuitTestGraphs.LlamaGqa(0); // 8 heads, 2 KV heads: group 0 = h0..h3, group 1 = h4..h7
        var c = WithEdges(graph,
            "a0.h1->logits",          // a0.h1 has no kept input, but the unmasked embedding feeds it
            "m0->a1.kv0<k>", "a1.h2->logits", // h2 is in group 0: the key edge reaches the logits
            "m0->a1.kv1<v>",          // no head of group 1 reaches the logits
            "a0.h3->m0");             // m0 reaches through a1.kv0<k>
        var pruned = DanglingEdges.Prune(c, graph);
        // Graph order: readers by layer, the logits last.
        Assert.Equal(["a0.h3->m0", "m0->a1.kv0<k>", "a0.h1->logits", "a1.h2->logits"], pruned.KeptEdgeNames);
        Assert.DoesNotContain("m0->a1.kv1<v>", pruned.KeptEdgeNames);
    }

    [Fact]
    public void KeptOnlyCircuit_StaysKeptOnly()
    {
        var graph = CircuitTestGraphs.Tracr();
        var c = WithEdges(graph, "tok_embeds->m0", "m0->logits", "m1->logits").KeptEdgesOnly();
        var pruned = DanglingEdges.Prune(c, graph);
        Assert.False(pruned.ListsAllEdges);
        Assert.Equal(["tok_embeds->m0", "m0->logits"], pruned.Edges.Select(e => e.Name));
    }
}
