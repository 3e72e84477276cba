using System.Text.RegularExpressions;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Circuits;

public partial class CircuitDotTests
{
    private static (List<(string From, string To, string Color, string Name)> Edges, List<List<string>> Ranks) Parse(string dot)
    {
        var edges = EdgeLine().Matches(dot).Select(m => (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value, m.Groups[4].Value)).ToList();
        var ranks = RankLine().Matches(dot)
            .Select(m => NodeInRank().Matches(m.Groups[1].Value).Select(n => n.Groups[1].Value).ToList()).ToList();
        return (edges, ranks);
    }

    [Fact]
    public void Dot_DrawsExactlyTheKeptEdges()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        var c = CircuitTestGraphs.RandomCircuit(graph, 31);
        var (edges, ranks) = Parse(CircuitDot.ToDot(c));
        Assert.Equal(c.KeptEdgeNames.Order(), edges.Select(e => e.Name).Order());
        Assert.Equal(c.KeptEdgeCount, edges.Count);
        Assert.All(edges, e => Assert.Equal(e.Name, e.From + "->" + (e.Name.EndsWith('>') ? e.To + e.Name[^3..] : e.To)));
    }

    [Fact]
    public void Dot_OneRankPerLayer_EmbeddingsFirst_LogitsLast()
    {
        var graph = CircuitTestGraphs.Gpt2Small(); // 3 layers
        var c = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => true);
        var (_, ranks) = Parse(CircuitDot.ToDot(c));
        Assert.Equal(1 + 3 + 1, ranks.Count);
        Assert.Equal(["tok_embeds", "pos_embeds"], ranks[0]);
        Assert.Equal(["a0.h0", "a0.h1", "a0.h2", "a0.h3", "m0"], ranks[1]);
        Assert.Equal(["a2.h0", "a2.h1", "a2.h2", "a2.h3", "m2"], ranks[3]);
        Assert.Equal(["logits"], ranks[^1]);
        var all = ranks.SelectMany(r => r).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(graph.Writers.Count + 1, all.Count);
    }

    [Fact]
    public void Dot_OnlyNodesOfKeptEdges_ColoredByReaderKind()
    {
        var graph = CircuitTestGraphs.Tracr();
        var keep = new[] { "tok_embeds->a0.h0<q>", "pos_embeds->a0.h0<k>", "tok_embeds->a0.h0<v>", "a0.h0->m0", "m0->logits" };
        var index = new GraphEdgeIndex(graph);
        var c = Circuit.FromMasks(graph, (r, w) => 0.5, (r, w) => keep.Contains(index.Name(r, w)));
        string dot = CircuitDot.ToDot(c, "tracr reverse");
        var (edges, ranks) = Parse(dot);
        Assert.Equal([["tok_embeds", "pos_embeds"], ["a0.h0", "m0"], ["logits"]], ranks);
        var color = edges.ToDictionary(e => e.Name, e => e.Color);
        Assert.Equal(CircuitDot.QueryColor, color["tok_embeds->a0.h0<q>"]);
        Assert.Equal(CircuitDot.KeyColor, color["pos_embeds->a0.h0<k>"]);
        Assert.Equal(CircuitDot.ValueColor, color["tok_embeds->a0.h0<v>"]);
        Assert.Equal(CircuitDot.MlpColor, color["a0.h0->m0"]);
        Assert.Equal(CircuitDot.LogitsColor, color["m0->logits"]);
        Assert.StartsWith("digraph circuit {", dot);
        Assert.Contains("rankdir=LR", dot);
        Assert.Contains("tracr reverse: 5 of 94 edges, 5 nodes", dot);
    }

    [Fact]
    public void Dot_PenWidthGrowsWithMask()
    {
        var graph = CircuitTestGraphs.Tracr();
        var c = Circuit.FromMasks(graph, (r, w) => w == 0 ? 1.0 : 0.0, (r, w) => r == graph.Readers.Count - 1 && w < 2);
        string dot = CircuitDot.ToDot(c);
        Assert.Contains("\"tok_embeds\" -> \"logits\" [color=\"#212121\", penwidth=4,", dot);
        Assert.Contains("\"pos_embeds\" -> \"logits\" [color=\"#212121\", penwidth=0.5,", dot);
    }

    [Fact]
    public void Dot_GroupedKeyValueEdges_EndAtTheKvHead()
    {
        var graph = CircuitTestGraphs.LlamaGqa();
        var index = new GraphEdgeIndex(graph);
        var c = Circuit.FromMasks(graph, (r, w) => 1, (r, w) => index.Name(r, w) is "a0.h1->a1.kv1<v>" or "a0.h1->a1.h5<q>" or "a1.h5->logits");
        var (edges, ranks) = Parse(CircuitDot.ToDot(c));
        Assert.Equal(3, edges.Count);
        Assert.Equal([["a0.h1"], ["a1.h5", "a1.kv1"], ["logits"]], ranks);
        Assert.Contains(edges, e => e.From == "a0.h1" && e.To == "a1.kv1" && e.Color == CircuitDot.ValueColor);
    }

    [Fact]
    public void Render_WithoutGraphviz_SaysSo()
    {
        var c = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Tracr(), 32);
        string dot = CircuitDot.ToDot(c);
        string path = Path.Combine(Path.GetTempPath(), $"circuit-{Guid.NewGuid():N}.svg");
        var e = Assert.Throws<EdgePruningException>(() => CircuitDot.Render(dot, GraphvizFormat.Svg, path, searchPath: ""));
        Assert.Contains("Graphviz is not installed", e.Message);
    }

    [GraphvizFact]
    public void Render_WithGraphviz_WritesAnSvg()
    {
        var c = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Tracr(), 32);
        string dot = CircuitDot.ToDot(c);
        string path = Path.Combine(Path.GetTempPath(), $"circuit-{Guid.NewGuid():N}.svg");
        try
        {
            CircuitDot.Render(dot, GraphvizFormat.Svg, path);
            Assert.Contains("<svg", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex("^  \"([^\"]+)\" -> \"([^\"]+)\" \\[color=\"([^\"]+)\", penwidth=[0-9.]+, tooltip=\"([^\"]+)\"\\];$", RegexOptions.Multiline)]
    private static partial Regex EdgeLine();

    [GeneratedRegex(@"^  \{ rank=same;(.*) \}$", RegexOptions.Multiline)]
    private static partial Regex RankLine();

    [GeneratedRegex("\"([^\"]+)\" \\[shape=")]
    private static partial Regex NodeInRank();
}

/// <summary>A fact that needs Graphviz's dot on the PATH: skipped with a message where it is not installed.</summary>
public sealed class GraphvizFactAttribute : FactAttribute
{
    public GraphvizFactAttribute()
    {
        if (!CircuitDot.GraphvizInstalled) Skip = "Graphviz (dot) is not installed: the SVG rendering is not checked here";
    }
}
