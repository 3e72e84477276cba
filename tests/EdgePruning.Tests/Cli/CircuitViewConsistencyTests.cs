using System.Text.RegularExpressions;
using EdgePruning.Cli;
using EdgePruning.Cli.View;
using EdgePruning.Pruning.Circuits;
using EdgePruning.Tests.Circuits;

namespace EdgePruning.Tests.Cli;

/// <summary>The text report, the HTML viewer and the DOT picture describe one circuit the same way.</summary>
public class CircuitViewConsistencyTests
{
    private static int ReportedNodes(Circuit c)
    {
        var o = new StringWriter();
        CircuitReport.Print(o, c);
        return int.Parse(Regex.Match(o.ToString(), @"^nodes\s+(\d+)", RegexOptions.Multiline).Groups[1].Value);
    }

    [Fact]
    public void ReportNodeCount_IsTheViewersNodeCount_AlsoWithNodeMasksAndNoEdges()
    {
        var graph = CircuitTestGraphs.Gpt2Small();
        // Node masks that drop every head of layer 0 while edges into those heads stay kept (the viewer draws them).
        var keptWriters = Enumerable.Range(0, graph.Writers.Count).Select(w => !graph.Writers[w].StartsWith("a0.")).ToArray();
        var masked = Circuit.FromMasks(graph, (r, w) => 0.9, (r, w) => (r + w) % 3 == 0, keptWriters);
        var empty = Circuit.FromMasks(graph, (r, w) => 0.1, (r, w) => false);
        foreach (var c in new[] { masked, empty, CircuitTestGraphs.RandomCircuit(graph, 4) })
            Assert.Equal(CircuitPage.Build(c, null, "circuit.json", null).Nodes, ReportedNodes(c));
    }

    [Fact]
    public void ViewerLegend_UsesTheDotPicturesColours()
    {
        var c = CircuitTestGraphs.RandomCircuit(CircuitTestGraphs.Gpt2Small(), 1);
        string html = CircuitPage.Build(c, null, "circuit.json", null).Html;
        string dot = CircuitDot.ToDot(c, "t");
        foreach (var colour in new[] { CircuitDot.QueryColor, CircuitDot.KeyColor, CircuitDot.ValueColor, CircuitDot.MlpColor, CircuitDot.LogitsColor })
        {
            Assert.Contains(colour, html);
            Assert.Contains(colour, dot);
        }
        // The viewer keeps no palette of its own for Q/K/V.
        Assert.DoesNotContain("#d9480f", html);
        Assert.DoesNotContain("#2f9e44", html);
    }

    [Fact]
    public void CompareOfTwoCircuitJsonFiles_NamesEachSideByItsFolder()
    {
        var (a, b) = CircuitPage.SideNames("runs/a/circuit.json", "runs/b/circuit.json");
        Assert.Equal("a/circuit.json", a);
        Assert.Equal("b/circuit.json", b);
        Assert.Equal(("x.json", "y.json"), CircuitPage.SideNames("runs/a/x.json", "runs/a/y.json"));
    }

    [Fact]
    public void ViewCompare_PageTitleNamesBothRuns()
    {
        var dir = Directory.CreateTempSubdirectory("ep-view-");
        try
        {
            var graph = CircuitTestGraphs.Gpt2Small();
            foreach (var (side, seed) in new[] { ("one", 1), ("two", 2) })
            {
                Directory.CreateDirectory(Path.Combine(dir.FullName, side));
                CircuitJson.Write(CircuitTestGraphs.RandomCircuit(graph, seed), Path.Combine(dir.FullName, side, "circuit.json"));
            }
            string page = Path.Combine(dir.FullName, "cmp.html");
            var (code, _, stderr) = CliRunner.Run("view", Path.Combine(dir.FullName, "one", "circuit.json"),
                "--compare", Path.Combine(dir.FullName, "two", "circuit.json"), "--out", page);
            Assert.True(code == 0, stderr);
            Assert.Contains("<title>one/circuit.json vs two/circuit.json</title>", File.ReadAllText(page));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
