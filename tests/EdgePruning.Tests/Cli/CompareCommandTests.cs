using System.Text.Json.Nodes;
using EdgePruning.Models.Graph;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Cli;

/// <summary>
/// <c>edgeprune compare</c> on the two circuits of the Boolean Expressions pipeline: overlap counts that add up,
/// evaluations that agree with prune's own, a circuit against itself and against its complement.
/// </summary>
public class CompareCommandTests(BooleanPipelineFixture pipeline) : IClassFixture<BooleanPipelineFixture>
{
    private static JsonObject Json(params string[] args)
    {
        var (code, o, e) = CliRunner.Run([.. args, "--json"]);
        Assert.True(code == 0, $"exit {code}: {o} {e}");
        return JsonNode.Parse(o)!.AsObject();
    }

    private static double D(JsonNode? n) => n!.GetValue<double>();
    private static long L(JsonNode? n) => n!.GetValue<long>();

    [Fact]
    public void BothVariants_ArePruned_WithTheirTasksAndMetrics()
    {
        foreach (var (path, task) in new[] { (pipeline.Instruct, "bool-instruct"), (pipeline.FewShot, "bool-fewshot") })
        {
            var c = CircuitJson.Read(path);
            Assert.Equal(task, c.Task);
            Assert.Equal("interchange", c.Ablation);
            Assert.NotEmpty(c.Metrics);
            Assert.True(c.Metrics["kl"] >= 0);
            Assert.InRange(c.Metrics["accuracy_full"], 0, 1);
            Assert.Equal(6, c.Hyperparameters["steps"]!.GetValue<int>());
        }
    }

    [Fact]
    public void Overlap_AddsUp_AndEachCircuitRunsAsPruneMeasuredIt()
    {
        var a = CircuitJson.Read(pipeline.Instruct);
        var b = CircuitJson.Read(pipeline.FewShot);
        var r = Json("compare", pipeline.Instruct, pipeline.FewShot, "--model", pipeline.Model, "--batch", "64");

        var edges = r["edges"]!;
        int shared = a.KeptEdgeNames.Intersect(b.KeptEdgeNames).Count();
        Assert.Equal(shared, L(edges["shared"]));
        Assert.Equal(a.KeptEdgeCount, L(edges["shared"]) + L(edges["only_a"]));
        Assert.Equal(b.KeptEdgeCount, L(edges["shared"]) + L(edges["only_b"]));
        Assert.Equal(L(edges["shared"]) + L(edges["only_a"]) + L(edges["only_b"]), L(edges["union"]));
        Assert.Equal((double)shared / L(edges["union"]), D(edges["jaccard"]), 1e-12);
        Assert.Equal((double)a.KeptEdgeCount * b.KeptEdgeCount / a.TotalEdges, D(r["expected_shared_edges"]), 1e-9);
        var nodes = r["nodes"]!;
        Assert.Equal(CircuitOverlap.NodesOf(a).Intersect(CircuitOverlap.NodesOf(b)).Count(), L(nodes["shared"]));

        // By default each circuit runs on both circuits' tasks.
        var evaluations = r["evaluations"]!.AsArray();
        Assert.Equal(["bool-instruct", "bool-fewshot"], evaluations.Select(e => e!["task"]!.GetValue<string>()));
        foreach (var (e, own) in evaluations.Zip(new[] { a, b }))
        {
            Assert.Equal(400, L(e!["examples"]));
            var rows = e["circuits"]!;
            Assert.Equal(a.KeptEdgeCount, L(rows["a"]!["edges"]));
            Assert.Equal(b.KeptEdgeCount, L(rows["b"]!["edges"]));
            Assert.Equal(shared, L(rows["intersection"]!["edges"]));
            // The circuit on its own task gives what prune measured (prune ran 4 sequences a batch, compare 64).
            var mine = rows[own == a ? "a" : "b"]!;
            foreach (var metric in new[] { "kl", "accuracy", "logit_diff", "exact_match" })
                Assert.Equal(own.Metrics[metric], D(mine[metric]), 1e-4 * (1 + Math.Abs(own.Metrics[metric])));
        }
    }

    [Fact]
    public void ACircuitWithItself_HasFullOverlap_AndEqualFaithfulness()
    {
        var a = CircuitJson.Read(pipeline.Instruct);
        var r = Json("compare", pipeline.Instruct, pipeline.Instruct, "--model", pipeline.Model);
        Assert.Equal(a.KeptEdgeCount, L(r["edges"]!["shared"]));
        Assert.Equal((0L, 0L), (L(r["edges"]!["only_a"]), L(r["edges"]!["only_b"])));
        Assert.Equal(1.0, D(r["edges"]!["jaccard"]));
        Assert.Equal(1.0, D(r["nodes"]!["jaccard"]));
        var e = Assert.Single(r["evaluations"]!.AsArray());
        var rows = e!["circuits"]!.AsObject();
        foreach (var metric in new[] { "kl", "accuracy", "logit_diff", "faithfulness", "edges" })
        {
            Assert.Equal(D(rows["a"]![metric]), D(rows["b"]![metric]));
            Assert.Equal(D(rows["a"]![metric]), D(rows["intersection"]![metric]));
        }
    }

    [Fact]
    public void ACircuitAndItsComplement_ShareNoEdge_AndTheirIntersectionIsTheEmptyCircuit()
    {
        var a = CircuitJson.Read(pipeline.Instruct);
        var graph = EdgeGraph.For(ModelLoader.Load(pipeline.Model).Config, a.Model.EmbeddingNodes);
        var complement = a.WithKept(graph, a.KeptMatrix(graph).Select(row => row.Select(k => !k).ToArray()).ToArray());
        string path = Path.Combine(pipeline.Folder("complement"), "circuit.json");
        CircuitJson.Write(complement, path);

        var r = Json("compare", pipeline.Instruct, path, "--model", pipeline.Model, "--task", "bool-instruct", "--examples", "50");
        Assert.Equal(0, L(r["edges"]!["shared"]));
        Assert.Equal(0.0, D(r["edges"]!["jaccard"]));
        Assert.Equal(a.TotalEdges, L(r["edges"]!["union"]));
        var evaluation = Assert.Single(r["evaluations"]!.AsArray())!;
        Assert.Equal(50, L(evaluation["examples"]));
        var rows = evaluation["circuits"]!;
        Assert.Equal(0, L(rows["intersection"]!["edges"]));
        // The empty circuit's faithfulness is 0 by definition; A and its complement differ from it and each other.
        Assert.Equal(0.0, D(rows["intersection"]!["faithfulness"]));
        Assert.NotEqual(D(rows["a"]!["kl"]), D(rows["b"]!["kl"]));
    }

    [CudaFact]
    public void OnCuda_TheEvaluationsAreTheCpus()
    {
        string[] args = ["compare", pipeline.Instruct, pipeline.FewShot, "--model", pipeline.Model, "--task", "bool-fewshot", "--examples", "6", "--batch", "3"];
        var cpu = Json([.. args, "--device", "cpu"]);
        var cuda = Json([.. args, "--device", "cuda"]);
        var rowsCpu = Assert.Single(cpu["evaluations"]!.AsArray())!;
        var rowsCuda = Assert.Single(cuda["evaluations"]!.AsArray())!;
        Assert.Equal("cpu", rowsCpu["device"]!.GetValue<string>());
        Assert.StartsWith("cuda", rowsCuda["device"]!.GetValue<string>());
        foreach (var circuit in new[] { "a", "b", "intersection" })
            foreach (var metric in new[] { "kl", "logit_diff", "logit_diff_full", "accuracy", "exact_match" })
            {
                double expected = D(rowsCpu["circuits"]![circuit]![metric]), actual = D(rowsCuda["circuits"]![circuit]![metric]);
                Assert.True(Math.Abs(expected - actual) <= 1e-4 * (1 + Math.Abs(expected)), $"{circuit} {metric}: cpu {expected}, cuda {actual}");
            }
    }

    [Fact]
    public void TextOutput_IsTheOverlapTable_AndOneTablePerTask()
    {
        string folder = pipeline.Folder("page");
        string page = Path.Combine(folder, "ip-vs-fs.html"), saved = Path.Combine(folder, "compare.json");
        var (code, o, e) = CliRunner.Run("compare", pipeline.Instruct, pipeline.FewShot, "--model", pipeline.Model, "--html", page, "--out", saved);
        Assert.True(code == 0, e);
        foreach (var text in new[] { "overlap", "Jaccard", "only A", "shared edges:", "bool-instruct (test, 400 examples", "bool-fewshot (test", "A ∩ B", "faithfulness" })
            Assert.Contains(text, o);
        Assert.True(File.Exists(page));
        // --out holds what --json prints.
        var document = JsonNode.Parse(File.ReadAllText(saved))!;
        Assert.Equal(page, document["html"]!.GetValue<string>());
        Assert.Equal(2, document["evaluations"]!.AsArray().Count);
    }

    [Fact]
    public void WithoutAModel_OnlyTheOverlap()
    {
        var r = Json("compare", pipeline.Instruct, pipeline.FewShot);
        Assert.Empty(r["evaluations"]!.AsArray());
        Assert.NotNull(r["edges"]!["shared"]);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("task-without-model")]
    [InlineData("other-shape")]
    [InlineData("unknown-task")]
    [InlineData("model-of-another-shape")]
    public void BadInput_IsOneLine(string kind)
    {
        string[] args = kind switch
        {
            "missing" => ["compare", pipeline.Instruct, Path.Combine(pipeline.Model, "absent.json")],
            "task-without-model" => ["compare", pipeline.Instruct, pipeline.FewShot, "--task", "bool-instruct"],
            "other-shape" => ["compare", pipeline.Instruct, OtherShape()],
            "unknown-task" => ["compare", pipeline.Instruct, pipeline.FewShot, "--model", pipeline.Model, "--task", "bool-nonsense"],
            _ => ["compare", OtherShape(), OtherShape(), "--model", pipeline.Model, "--task", "bool-instruct"],
        };
        var (code, o, e) = CliRunner.Run(args);
        Assert.Equal(1, code);
        Assert.Equal("", o);
        Assert.Single(e.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("edgeprune: error: ", e);
    }

    private string OtherShape()
    {
        string path = Path.Combine(pipeline.Folder("other"), "circuit.json");
        CircuitJson.Write(Circuits.CircuitTestGraphs.RandomCircuit(Circuits.CircuitTestGraphs.LlamaGqa(), seed: 2), path);
        return path;
    }
}
