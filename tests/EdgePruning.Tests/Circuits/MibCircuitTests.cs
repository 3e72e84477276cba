using System.Text;
using System.Text.Json;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class MibCircuitTests
{
    /// <summary>MIB's edge names for a sequential model, enumerated the way its graph builder does.</summary>
    private static HashSet<string> MibEdgeNames(int layers, int heads)
    {
        var names = new HashSet<string>();
        var residual = new List<string> { "input" };
        for (int l = 0; l < layers; l++)
        {
            var attn = Enumerable.Range(0, heads).Select(h => $"a{l}.h{h}").ToList();
            foreach (var u in residual)
                foreach (var a in attn)
                    foreach (var x in "qkv") names.Add($"{u}->{a}<{x}>");
            residual.AddRange(attn);
            foreach (var u in residual) names.Add($"{u}->m{l}");
            residual.Add($"m{l}");
        }
        foreach (var u in residual) names.Add($"{u}->logits");
        return names;
    }

    private static JsonElement ParseMib(Circuit c, EdgeGraph g) => JsonDocument.Parse(MibCircuit.Serialize(c, g)).RootElement;

    private static Circuit RoundTrip(Circuit c, EdgeGraph g) =>
        MibCircuit.Read(new MemoryStream(Encoding.UTF8.GetBytes(MibCircuit.Serialize(c, g))), g);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(0)]
    public void Gpt2Small_ExportHasMibs32491Edges_WithMibNames(int embeddingNodes)
    {
        var graph = EdgeGraph.For(KnownShapes.Gpt2Small(), embeddingNodes);
        var root = ParseMib(CircuitTestGraphs.RandomCircuit(graph, 21), graph);
        var names = root.GetProperty("edges").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(32_491, names.Count);
        Assert.Equal(EdgeGraph.CountEdges(KnownShapes.Gpt2Small(), 1), names.Count);
        Assert.True(MibEdgeNames(12, 12).SetEquals(names));

        var cfg = root.GetProperty("cfg");
        Assert.Equal(12, cfg.GetProperty("n_layers").GetInt32());
        Assert.Equal(12, cfg.GetProperty("n_heads").GetInt32());
        Assert.False(cfg.GetProperty("parallel_attn_mlp").GetBoolean());
        Assert.Equal(768, cfg.GetProperty("d_model").GetInt32());
        Assert.Equal(1 + 12 * 13 + 1, root.GetProperty("nodes").EnumerateObject().Count());
    }

    [Fact]
    public void SingleEmbeddingNode_RoundTripIsExact()
    {
        var graph = CircuitTestGraphs.Gpt2Small(1);
        var c = CircuitTestGraphs.RandomCircuit(graph, 22);
        var back = RoundTrip(c, graph);
        Assert.Equal(c.Edges, back.Edges);
        Assert.Equal(c.Nodes, back.Nodes);
        Assert.Equal(c.TotalEdges, back.TotalEdges);
    }

    [Fact]
    public void SplitEmbeddings_MergeIntoInput_OtherEdgesRoundTripExactly()
    {
        var graph = CircuitTestGraphs.Gpt2Small(2);
        var c = CircuitTestGraphs.RandomCircuit(graph, 23);
        var root = ParseMib(c, graph);
        var back = RoundTrip(c, graph);
        var before = c.Edges.ToDictionary(e => e.Name);
        var after = back.Edges.ToDictionary(e => e.Name);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());

        foreach (var r in graph.Readers)
        {
            var tok = before[$"tok_embeds->{r.Name}"];
            var pos = before[$"pos_embeds->{r.Name}"];
            // Export: in the graph if either is kept; the score of larger magnitude.
            var mibReader = r.Name;
            var mib = root.GetProperty("edges").GetProperty($"input->{mibReader}");
            double larger = Math.Abs(pos.Mask) > Math.Abs(tok.Mask) ? pos.Mask : tok.Mask;
            Assert.Equal(tok.Kept || pos.Kept, mib.GetProperty("in_graph").GetBoolean());
            Assert.Equal(larger, mib.GetProperty("score").GetDouble());
            // Import: both embedding edges get the merged flag and score.
            Assert.Equal(new CircuitEdge(tok.Name, larger, tok.Kept || pos.Kept), after[tok.Name]);
            Assert.Equal(new CircuitEdge(pos.Name, larger, tok.Kept || pos.Kept), after[pos.Name]);
        }
        foreach (var e in c.Edges.Where(e => !e.Name.Contains("_embeds->")))
            Assert.Equal(e, after[e.Name]);
    }

    [Fact]
    public void GroupedQueryAttention_ExpandsKvEdgesOntoEachHead_AndRoundTripsExactly()
    {
        var graph = CircuitTestGraphs.LlamaGqa(0); // 3 layers, 8 heads, 2 KV heads
        var c = CircuitTestGraphs.RandomCircuit(graph, 24);
        var root = ParseMib(c, graph);
        var edges = root.GetProperty("edges");

        var mhaShape = KnownShapes.Llama(3, 8, 8, 64, 16, 10, 8);
        Assert.Equal(EdgeGraph.CountEdges(mhaShape, 1), edges.EnumerateObject().Count());
        Assert.True(MibEdgeNames(3, 8).SetEquals(edges.EnumerateObject().Select(p => p.Name)));

        var ours = c.Edges.ToDictionary(e => e.Name);
        for (int h = 0; h < 8; h++)
        {
            var kv = ours[$"m0->a1.kv{h / 4}<k>"];
            var mib = edges.GetProperty($"m0->a1.h{h}<k>");
            Assert.Equal(kv.Kept, mib.GetProperty("in_graph").GetBoolean());
            Assert.Equal(kv.Mask, mib.GetProperty("score").GetDouble());
        }
        // Without embedding nodes the embedding always feeds every reader.
        Assert.All(edges.EnumerateObject().Where(p => p.Name.StartsWith("input->")), p =>
        {
            Assert.True(p.Value.GetProperty("in_graph").GetBoolean());
            Assert.Equal(1.0, p.Value.GetProperty("score").GetDouble());
        });

        var back = RoundTrip(c, graph);
        Assert.Equal(c.Edges, back.Edges);
        Assert.Equal(c.Nodes, back.Nodes);
    }

    [Fact]
    public void GroupedImport_KeepsAKvEdgeWhenAnyHeadOfTheGroupHasIt_WithTheLargestScore()
    {
        var graph = CircuitTestGraphs.LlamaGqa(1);
        var c = Circuit.FromMasks(graph, (r, w) => 0.1, (r, w) => false);
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(MibCircuit.Serialize(c, graph))!;
        var edges = JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, JsonElement>>>(json["edges"].GetRawText())!;
        edges["a0.h6->a1.h5<v>"] = new() { ["score"] = JsonDocument.Parse("-0.7").RootElement, ["in_graph"] = JsonDocument.Parse("true").RootElement };
        edges["a0.h6->a1.h4<v>"] = new() { ["score"] = JsonDocument.Parse("0.4").RootElement, ["in_graph"] = JsonDocument.Parse("false").RootElement };
        var text = JsonSerializer.Serialize(new Dictionary<string, object> { ["cfg"] = json["cfg"], ["nodes"] = json["nodes"], ["edges"] = edges });

        var back = MibCircuit.Read(new MemoryStream(Encoding.UTF8.GetBytes(text)), graph);
        var edge = Assert.Single(back.Edges, e => e.Name == "a0.h6->a1.kv1<v>");
        Assert.True(edge.Kept);
        Assert.Equal(-0.7, edge.Mask);
        Assert.Equal(["a0.h6->a1.kv1<v>"], back.KeptEdgeNames);
    }

    [Theory]
    [InlineData("{\"cfg\": {\"n_layers\": 2, \"n_heads\": 4}, \"edges\": {}}", "MIB circuit of 2 layers and 4 heads")]
    [InlineData("{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4, \"d_model\": 99}, \"edges\": {}}", "width 99")]
    [InlineData("{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4}, \"edges\": {\"a0.h9->m2\": {\"score\": 1, \"in_graph\": true}}}", "'a0.h9' is not a node")]
    [InlineData("{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4}, \"edges\": {\"m2->a1.h0<q>\": {\"score\": 1, \"in_graph\": true}}}", "a1.h0<q> cannot read m2")]
    [InlineData("{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4}, \"edges\": {\"m0->m1\": {\"score\": 1}}}", "needs {\"score\"")]
    [InlineData("{\"nodes\": {}}", "not an MIB circuit")]
    [InlineData("{\"cfg\": ", "not valid JSON")]
    public void BadMibFile_FailsWithAClearMessage(string json, string expected)
    {
        var e = Assert.Throws<CircuitFormatException>(() =>
            MibCircuit.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), CircuitTestGraphs.Gpt2Small(), "mib.json"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("mib.json: ", e.Message);
    }

    [Fact]
    public void MissingEdges_ImportAsNotKept_NullScoresAsZero()
    {
        var json = "{\"cfg\": {\"n_layers\": 3, \"n_heads\": 4, \"parallel_attn_mlp\": false}, \"nodes\": {}, \"edges\": {\"input->m1\": {\"score\": null, \"in_graph\": true}}}";
        var graph = CircuitTestGraphs.Gpt2Small(2);
        var c = MibCircuit.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), graph);
        Assert.Equal(["tok_embeds->m1", "pos_embeds->m1"], c.KeptEdgeNames);
        Assert.All(c.Edges, e => Assert.Equal(0.0, e.Mask));
        Assert.Equal(["tok_embeds", "pos_embeds", "m1", "logits"], c.Nodes);
    }
}
