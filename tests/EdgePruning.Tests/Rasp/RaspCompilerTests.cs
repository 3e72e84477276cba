using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning.Rasp;
using EdgePruning.Tests.Models;
using Xunit.Abstractions;

namespace EdgePruning.Tests.Rasp;

/// <summary>
/// Every shipped program compiles to a model that computes the program: on every valid input up to
/// length 4 the readout is the reference output (one-hot classes, or the number itself to 1e-5).
/// </summary>
public class RaspCompilerTests(ITestOutputHelper output)
{
    public static TheoryData<string> ProgramNames => new(Programs.All.Select(p => p.Name));

    [Theory]
    [MemberData(nameof(ProgramNames))]
    public void CompiledModel_ComputesTheProgram_OnEveryInputUpToLength4(string name)
    {
        var program = Programs.Get(name);
        var compiled = program.Compile();
        var model = new Transformer(compiled.Config, compiled.Weights, CpuKernels.Instance, name);
        output.WriteLine($"{name}: {compiled.Config.Layers} layers, {compiled.Config.Heads} heads, d = {compiled.Config.ModelDim}, mlp {compiled.Config.MlpDim}");
        int checkedInputs = 0;
        foreach (var input in program.InputsUpTo(Math.Min(4, program.MaxLength)))
        {
            var expected = RaspEvaluator.Evaluate(compiled.Output, input);
            var readout = model.Forward(compiled.Encode(input), 1);
            int k = readout.Shape[2];
            var values = readout.Span.ToArray();
            for (int p = 0; p < input.Count; p++)
            {
                var row = values.AsSpan((p + 1) * k, k);
                string where = $"{name} on [{string.Join(' ', input)}] at position {p + 1}";
                if (compiled.IsCategorical)
                {
                    int cls = compiled.ClassOf(expected[p]!);
                    for (int c = 0; c < k; c++)
                        Assert.True(Math.Abs(row[c] - (c == cls ? compiled.ReadoutScale : 0)) < 1e-4 * compiled.ReadoutScale, $"{where}: class {c} scores {row[c]}");
                }
                else
                {
                    double want = Convert.ToDouble(expected[p]);
                    Assert.True(Math.Abs(row[0] - want) < 1e-5, $"{where}: {row[0]}, expected {want}");
                }
            }
            checkedInputs++;
        }
        Assert.True(checkedInputs > 0);
        output.WriteLine($"{checkedInputs} inputs checked");
    }

    [SharedTheory]
    [InlineData("xproportion")]
    [InlineData("reverse")]
    public void CompiledModel_AgreesWithSharedTracrModel_OnEveryTaskInput(string name)
    {
        var program = Programs.Get(name);
        var compiled = program.Compile();
        var (config, weights, info) = TracrLoader.Load(SharedData.Model("tracr", name + ".safetensors"));
        var theirs = new Transformer(config, weights, CpuKernels.Instance, name);
        var ours = new Transformer(compiled.Config, compiled.Weights, CpuKernels.Instance, name);
        Assert.Equal(info.OutputClasses, compiled.Info.OutputClasses);
        double worst = 0;
        foreach (var input in program.Inputs(program.TaskLength))
        {
            var a = theirs.Forward(input.Select(t => info.IdOf(RaspValues.Name(t))).Prepend(info.BosId).ToArray(), 1).Span.ToArray();
            var b = ours.Forward(compiled.Encode(input), 1).Span.ToArray();
            Assert.Equal(a.Length, b.Length);
            for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        }
        output.WriteLine($"{name}: max |ours − tracr| over all positions = {worst:E2}");
        Assert.True(worst < 1e-5, $"max difference {worst}");
    }

    [SharedTheory]
    [InlineData("xproportion")]
    [InlineData("reverse")]
    public void GroundTruth_EqualsSharedEdgeList(string name)
    {
        var program = Programs.Get(name);
        var compiled = program.Compile();
        var truth = program.GroundTruth(compiled);
        Assert.Equal(EdgeGraphTests.GroundTruth(name).Order(StringComparer.Ordinal), truth.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ProgramNames))]
    public void GroundTruth_IsEdgesOfTheGraph(string name)
    {
        var program = Programs.Get(name);
        var compiled = program.Compile();
        var graph = EdgeGraph.For(compiled.Config, 2);
        var edges = new HashSet<string>();
        foreach (var r in graph.Readers)
            for (int w = 0; w < r.VisibleWriters; w++) edges.Add(graph.Writers[w] + "->" + r.Name);
        var truth = program.GroundTruth(compiled);
        output.WriteLine($"{name}: {truth.Count} of {graph.EdgeCount}: {string.Join(", ", truth)}");
        Assert.All(truth, e => Assert.Contains(e, edges));
    }

    [Fact]
    public void SavedModel_LoadsWithTheTracrLoader_AndComputesTheSame()
    {
        var program = Programs.Get("sort");
        var compiled = program.Compile();
        var dir = Directory.CreateTempSubdirectory("ep-rasp-");
        try
        {
            string path = Path.Combine(dir.FullName, "sort.safetensors");
            compiled.Save(path, program.GroundTruth(compiled));
            var loaded = ModelLoader.Load(path);
            Assert.Equal(ModelFileKind.Tracr, loaded.Kind);
            var a = new Transformer(loaded.Config, loaded.Weights, CpuKernels.Instance, path);
            var b = new Transformer(compiled.Config, compiled.Weights, CpuKernels.Instance, "sort");
            var tokens = compiled.Encode([3, 1, 4, 2]);
            Assert.Equal(b.Forward(tokens, 1).Span.ToArray(), a.Forward(tokens, 1).Span.ToArray());
            Assert.True(File.Exists(Path.Combine(dir.FullName, "sort.ground_truth.json")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
