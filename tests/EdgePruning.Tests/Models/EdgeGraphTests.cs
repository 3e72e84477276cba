using System.Text.Json;
using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Graph;

namespace EdgePruning.Tests.Models;

public class EdgeGraphTests
{
    [Theory]
    [InlineData(2, 32_936)]
    [InlineData(1, 32_491)]
    [InlineData(0, 32_046)]
    public void Gpt2Small_EdgeCountsMatchThePaper(int embeddingNodes, long expected)
    {
        var config = KnownShapes.Gpt2Small();
        Assert.Equal(expected, EdgeGraph.CountEdges(config, embeddingNodes));
        Assert.Equal(expected, EdgeGraph.For(config, embeddingNodes).EdgeCount);
    }

    [Fact]
    public void CodeLlama13B_EdgeCountsMatchThePaper()
    {
        var config = KnownShapes.CodeLlama13B();
        Assert.Equal(3_872_820, EdgeGraph.CountEdges(config, 0));
        Assert.Equal(3_877_661, EdgeGraph.CountEdges(config, 1));
        Assert.Equal(1_640, EdgeGraph.WriterCount(config, 0));
    }

    [Theory]
    [InlineData(4, 41, 94, 77)]
    [InlineData(2, 14, 32, 23)]
    public void TracrShapes_EdgeCountsMatchGroundTruthFiles(int layers, int dim, long split, long merged)
    {
        var config = TracrLike(layers, dim);
        Assert.Equal(split, EdgeGraph.For(config, 2).EdgeCount);
        Assert.Equal(merged, EdgeGraph.For(config, 1).EdgeCount);
    }

    [Fact]
    public void EnumeratedGraph_EqualsClosedForm_ForRandomShapesWithGroupedAttention()
    {
        var rng = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            int kv = rng.Next(1, 5), group = rng.Next(1, 4), layers = rng.Next(1, 9);
            var config = KnownShapes.Llama(layers, kv * group, kv, dim: 8 * kv * group, mlp: 16, vocab: 10, positions: 8);
            for (int e = 0; e <= 1; e++)
            {
                var graph = EdgeGraph.For(config, e);
                Assert.Equal(EdgeGraph.CountEdges(config, e), graph.EdgeCount);
                Assert.Equal(EdgeGraph.ReaderCount(config), graph.Readers.Count);
                Assert.Equal(EdgeGraph.WriterCount(config, e), graph.Writers.Count);
            }
        }
    }

    [Fact]
    public void GroupedAttention_NamesKeyAndValueReadersPerKvHead()
    {
        var graph = EdgeGraph.For(KnownShapes.Llama(2, 8, 4, 64, 16, 10, 8), 0);
        var names = graph.Readers.Select(r => r.Name).ToHashSet();
        Assert.Contains("a1.h7<q>", names);
        Assert.Contains("a1.kv3<k>", names);
        Assert.Contains("a0.kv0<v>", names);
        Assert.DoesNotContain("a0.h0<k>", names);
        Assert.Equal("m1", graph.Writers[graph.MlpWriter(1)]);
        Assert.Equal("a1.h2", graph.Writers[graph.HeadWriter(1, 2)]);
    }

    [SharedTheory]
    [InlineData("reverse", 4, 41)]
    [InlineData("xproportion", 2, 14)]
    public void GroundTruthEdges_AreEdgesOfTheGraph(string name, int layers, int dim)
    {
        var graph = EdgeGraph.For(TracrLike(layers, dim), 2);
        var edges = new HashSet<string>();
        foreach (var r in graph.Readers)
            for (int w = 0; w < r.VisibleWriters; w++) edges.Add(graph.Writers[w] + "->" + r.Name);
        Assert.Equal(graph.EdgeCount, edges.Count);
        var truth = GroundTruth(name);
        Assert.NotEmpty(truth);
        Assert.All(truth, e => Assert.Contains(e, edges));
    }

    internal static string[] GroundTruth(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Model("tracr", name + ".ground_truth.json")));
        var root = doc.RootElement;
        return root.GetProperty("ground_truth_edges").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static TransformerConfig TracrLike(int layers, int dim) => new()
    {
        Family = ModelFamily.Tracr, Layers = layers, Heads = 1, ModelDim = dim, HeadDim = 12, MlpDim = 30, VocabSize = 5,
        MaxSeqLen = 6, Norm = NormKind.None, MlpActivation = Activation.Relu, LearnedPositions = true, Causal = false,
    };
}
