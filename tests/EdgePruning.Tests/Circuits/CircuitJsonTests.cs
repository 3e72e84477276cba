using System.Text;
using System.Text.Json.Nodes;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

public class CircuitJsonTests
{
    private static Circuit Annotated(Circuit c) => c with
    {
        Model = c.Model with { Id = "models/gpt2-tiny", Hash = "sha256:abc123" },
        Task = "ioi",
        Ablation = "corrupted",
        Hyperparameters = new Dictionary<string, JsonNode?>
        {
            ["edge_lr"] = 0.8, ["steps"] = 3000, ["disable_node_loss"] = true, ["schedule"] = "linear",
            ["targets"] = new JsonArray(0.94, 1.1), ["note"] = null,
        },
        Seed = 42,
        Metrics = new Dictionary<string, double> { ["kl"] = 0.0123, ["accuracy"] = 0.875, ["logit_diff"] = -1.5e-7 },
        WallTimeSeconds = 12.5,
        Device = "cpu",
        Created = new DateTimeOffset(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero),
    };

    private static void AssertSameCircuit(Circuit expected, Circuit actual)
    {
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal(expected.Task, actual.Task);
        Assert.Equal(expected.Ablation, actual.Ablation);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.Hyperparameters.Keys.Order(), actual.Hyperparameters.Keys.Order());
        foreach (var (k, v) in expected.Hyperparameters)
            Assert.True(JsonNode.DeepEquals(v, actual.Hyperparameters[k]), $"hyperparameter {k}");
        Assert.Equal(expected.Metrics.OrderBy(kv => kv.Key), actual.Metrics.OrderBy(kv => kv.Key));
        Assert.Equal(expected.Edges, actual.Edges);
        Assert.Equal(expected.TotalEdges, actual.TotalEdges);
        Assert.Equal(expected.Nodes, actual.Nodes);
        Assert.Equal(expected.WallTimeSeconds, actual.WallTimeSeconds);
        Assert.Equal(expected.Device, actual.Device);
        Assert.Equal(expected.Created, actual.Created);
        Assert.Equal(expected.EdgeSparsity, actual.EdgeSparsity);
    }

    [Fact]
    public void WriteThenRead_GivesTheSameCircuit_AllEdges()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        var circuit = Annotated(CircuitTestGraphs.RandomCircuit(graph, seed: 1));
        string path = Path.Combine(Path.GetTempPath(), $"circuit-{Guid.NewGuid():N}.json");
        try
        {
            CircuitJson.Write(circuit, path);
            var read = CircuitJson.Read(path, graph);
            AssertSameCircuit(circuit, read);
            Assert.True(read.ListsAllEdges);
            Assert.Equal(graph.EdgeCount, read.Edges.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriteKeptOnly_ListsKeptEdgesAndTheTotal()
    {
        var graph = CircuitTestGraphs.LlamaGqa();
        var circuit = Annotated(CircuitTestGraphs.RandomCircuit(graph, seed: 2));
        string json = CircuitJson.Serialize(circuit, keptEdgesOnly: true);
        var read = CircuitJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), graph);
        Assert.False(read.ListsAllEdges);
        Assert.Equal(graph.EdgeCount, read.TotalEdges);
        Assert.Equal(circuit.KeptEdgeNames, read.Edges.Select(e => e.Name));
        Assert.All(read.Edges, e => Assert.True(e.Kept));
        Assert.Equal(circuit.EdgeSparsity, read.EdgeSparsity, 12);
        Assert.Equal(circuit.Nodes, read.Nodes);
    }

    [Fact]
    public void Output_IsIndentedWithOneEdgePerLine_AndHeaderFirst()
    {
        var graph = CircuitTestGraphs.Tracr();
        string json = CircuitJson.Serialize(CircuitTestGraphs.RandomCircuit(graph, 3));
        var lines = json.Split('\n');
        Assert.Equal("{", lines[0]);
        Assert.Contains("\"format\": \"edgeprune-circuit\"", lines[1]);
        Assert.Contains("\"format_version\": 1", lines[2]);
        var edgeLines = lines.Where(l => l.TrimStart().StartsWith("{\"edge\":", StringComparison.Ordinal)).ToArray();
        Assert.Equal(94, edgeLines.Length);
        Assert.Contains(edgeLines, l => l.Contains("\"edge\": \"tok_embeds->a0.h0<q>\""));
    }

    [Fact]
    public void ReadWithoutGraph_ChecksEdgesAgainstTheModelsOwnShape()
    {
        var graph = CircuitTestGraphs.Gpt2Small(1);
        var circuit = CircuitTestGraphs.RandomCircuit(graph, 4);
        var read = CircuitJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(CircuitJson.Serialize(circuit))));
        Assert.Equal(circuit.Edges, read.Edges);
        Assert.Equal(graph.EdgeCount, read.Model.ToGraph().EdgeCount);
    }

    [Theory]
    [InlineData("\"format_version\": 1", "\"format_version\": 2", "version 2 is not supported")]
    [InlineData("\"format_version\": 1", "\"format_version\": \"one\"", "non-integer \"format_version\"")]
    [InlineData("\"format\": \"edgeprune-circuit\"", "\"format\": \"something-else\"", "unknown format 'something-else'")]
    [InlineData("\"format\": \"edgeprune-circuit\",", "", "no \"format\"")]
    [InlineData("tok_embeds->a0.h0<q>", "tok_embeds->a9.h0<q>", "'tok_embeds->a9.h0<q>' is not an edge of the graph")]
    [InlineData("\"a0.h0->m0\"", "\"a0.h0->a0.h0<q>\"", "'a0.h0->a0.h0<q>' is not an edge")]
    [InlineData("\"edges_listed\": \"all\"", "\"edges_listed\": \"some\"", "\"edges_listed\" is 'some'")]
    [InlineData("\"total_edges\": 94", "\"total_edges\": 95", "lists 94 edges as all edges, but \"total_edges\" is 95")]
    [InlineData("\"kept\": true}", "\"kept\": tru}", "corrupt circuit file")]
    public void CorruptOrUnknownFile_FailsWithAClearMessage(string find, string replace, string expected)
    {
        var graph = CircuitTestGraphs.Tracr();
        string json = CircuitJson.Serialize(CircuitTestGraphs.RandomCircuit(graph, 5) with { Created = DateTimeOffset.UnixEpoch });
        Assert.Contains(find, json);
        int at = json.IndexOf(find, StringComparison.Ordinal);
        string broken = json[..at] + replace + json[(at + find.Length)..];
        var e = Assert.Throws<CircuitFormatException>(() => CircuitJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(broken)), graph, "c.json"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("c.json: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.IsAssignableFrom<EdgePruning.Runtime.EdgePruningException>(e);
    }

    [Fact]
    public void TruncatedFile_IsACircuitFormatException()
    {
        string json = CircuitJson.Serialize(CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Tracr(), 6));
        var bytes = Encoding.UTF8.GetBytes(json[..(json.Length / 2)]);
        var e = Assert.Throws<CircuitFormatException>(() => CircuitJson.Read(new MemoryStream(bytes)));
        Assert.Contains("corrupt circuit file", e.Message);
    }

    [Fact]
    public void DuplicateEdge_IsRejected()
    {
        var graph = CircuitTestGraphs.Tracr();
        var c = CircuitTestGraphs.RandomCircuit(graph, 7).KeptEdgesOnly();
        var dup = c with { Edges = [.. c.Edges, c.Edges[0]] };
        var e = Assert.Throws<CircuitFormatException>(() => CircuitJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(CircuitJson.Serialize(dup))), graph));
        Assert.Contains("listed twice", e.Message);
    }

    [Fact]
    public void GraphOfAnotherModel_IsRejected()
    {
        string json = CircuitJson.Serialize(CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Gpt2Small(2), 8));
        var e = Assert.Throws<CircuitFormatException>(() =>
            CircuitJson.Read(new MemoryStream(Encoding.UTF8.GetBytes(json)), CircuitTestGraphs.Gpt2Small(1)));
        Assert.Contains("does not fit the given graph", e.Message);
    }

    [Fact]
    public void MibFile_ReadAsCircuit_SaysItIsMib()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"cfg\": {\"n_layers\": 1}, \"nodes\": {}, \"edges\": {}}");
        var e = Assert.Throws<CircuitFormatException>(() => CircuitJson.Read(new MemoryStream(bytes)));
        Assert.Contains("MIB", e.Message);
    }

    [Fact]
    public void Gpt2SmallModelBlock_RebuildsTheFullGraph()
    {
        var model = CircuitModel.Of(EdgeGraph.For(KnownShapes.Gpt2Small(), 2), "gpt2");
        Assert.Equal(32_936, model.ToGraph().EdgeCount);
    }
}
