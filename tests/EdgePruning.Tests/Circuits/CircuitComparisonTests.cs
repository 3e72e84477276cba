using System.Text.Json;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class CircuitComparisonTests
{
    private static string[] ReverseGroundTruth()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("tracr", "reverse.ground_truth.json")));
        return doc.RootElement.GetProperty("ground_truth_edges").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    [SharedFact]
    public void TracrReverseGroundTruth_AgainstItself_IsPerfect()
    {
        var truth = ReverseGroundTruth();
        Assert.Equal(11, truth.Length);
        var cmp = CircuitComparison.Compare(truth, truth);
        Assert.Equal(1.0, cmp.Precision);
        Assert.Equal(1.0, cmp.Recall);
        Assert.Equal(1.0, cmp.IoU);
        Assert.True(cmp.Identical);
        Assert.Equal(truth, cmp.Shared);
    }

    [SharedFact]
    public void TracrReverseGroundTruth_OneEdgeMissingOneExtra()
    {
        var truth = ReverseGroundTruth();
        var found = truth.Where(e => e != "m1->m2").Append("tok_embeds->a3.h0<q>").ToArray();
        var cmp = CircuitComparison.Compare(found, truth);
        // 10 shared of 11 found and 11 true; union 12.
        Assert.Equal(10.0 / 11, cmp.Precision, 12);
        Assert.Equal(10.0 / 11, cmp.Recall, 12);
        Assert.Equal(10.0 / 12, cmp.IoU, 12);
        Assert.Equal(10.0 / 11, cmp.F1, 12);
        Assert.Equal(["m1->m2"], cmp.Missing);
        Assert.Equal(["tok_embeds->a3.h0<q>"], cmp.Extra);
        Assert.Equal(10, cmp.Shared.Count);
        Assert.Contains("precision 0.909 (10/11), recall 0.909 (10/11), IoU 0.833; missing m1->m2; extra tok_embeds->a3.h0<q>", cmp.ToString());
    }

    [SharedFact]
    public void TracrReverseGroundTruth_AsACircuit_ComparesByKeptEdges()
    {
        var graph = CircuitTestGraphs.Tracr();
        var truth = ReverseGroundTruth().ToHashSet();
        var index = new GraphEdgeIndex(graph);
        var circuit = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => truth.Contains(index.Name(r, w)));
        Assert.Equal(11, circuit.KeptEdgeCount);
        Assert.Equal(1 - 11.0 / 94, circuit.EdgeSparsity, 12);
        var superset = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => truth.Contains(index.Name(r, w)) || graph.Readers[r].Name == "logits");
        var cmp = CircuitComparison.Compare(superset, circuit);
        Assert.Equal(1.0, cmp.Recall);
        Assert.Equal(11.0 / (11 + 9), cmp.Precision, 12); // logits reads 10 writers; a3.h0->logits is already in the truth
        // The ground truth has no dangling edge: pruning leaves it unchanged.
        Assert.True(CircuitComparison.Compare(DanglingEdges.Prune(circuit, graph), circuit).Identical);
    }

    [Fact]
    public void DisjointAndEmptySets()
    {
        var disjoint = CircuitComparison.Compare(["a->b"], ["c->d", "e->f"]);
        Assert.Equal(0, disjoint.Precision);
        Assert.Equal(0, disjoint.Recall);
        Assert.Equal(0, disjoint.IoU);
        Assert.Equal(0, disjoint.F1);

        var empty = CircuitComparison.Compare([], ["c->d"]);
        Assert.Equal(1, empty.Precision);
        Assert.Equal(0, empty.Recall);
        Assert.Equal(1, CircuitComparison.Compare([], []).IoU);
    }

    [Fact]
    public void Duplicates_CountOnce()
    {
        var cmp = CircuitComparison.Compare(["a->b", "a->b", "c->d"], ["a->b"]);
        Assert.Equal(0.5, cmp.Precision);
        Assert.Equal(1, cmp.Recall);
        Assert.Equal(["a->b"], cmp.Shared);
    }
}
