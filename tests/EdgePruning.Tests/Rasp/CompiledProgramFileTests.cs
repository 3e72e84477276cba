using EdgePruning.Cli;

namespace EdgePruning.Tests.Rasp;

/// <summary>
/// A file written by <c>rasp compile</c> carries its program, so prune, eval and sweep find its task under
/// any file name, and prune scores it against the ground truth beside it as it does the built-in programs.
/// </summary>
public class CompiledProgramFileTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => EdgePruning.Tests.Cli.CliRunner.Run(args);

    [Theory]
    [InlineData("sort", "my-model")]
    [InlineData("histogram", "h")]
    public void CompiledUnderAnyName_PrunesEvaluatesAndSweeps_WithTheTruthTableAndPicture(string program, string fileName)
    {
        var dir = Directory.CreateTempSubdirectory("ep-compiled-");
        try
        {
            string model = Path.Combine(dir.FullName, fileName + ".safetensors");
            Assert.Equal(0, Run("rasp", "compile", program, "--out", model).Code);
            string run = Path.Combine(dir.FullName, "run");

            var (code, stdout, stderr) = Run("prune", "--model", model, "--steps", "5", "--out", run);
            Assert.True(code == 0, stderr);
            Assert.Contains("ground truth", stdout);
            Assert.Contains("precision", stdout);
            Assert.True(File.Exists(Path.Combine(run, "circuit.html")));

            var named = Run("prune", "--model", model, "--task", "tracr", "--steps", "2", "--out", Path.Combine(dir.FullName, "named"));
            Assert.True(named.Code == 0, named.Err);

            var eval = Run("eval", "--model", model, "--circuit", Path.Combine(run, "circuit.json"));
            Assert.True(eval.Code == 0, eval.Err);
            Assert.Contains("kl", eval.Out);

            var sweep = Run("sweep", "--model", model, "--methods", "eap", "--out", Path.Combine(dir.FullName, "sweep"));
            Assert.True(sweep.Code == 0, sweep.Err);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [SharedFact]
    public void SharedTracrFileWithAGroundTruthBeside_PrintsTheTruthTableAndWritesThePicture()
    {
        var dir = Directory.CreateTempSubdirectory("ep-tracr-truth-");
        try
        {
            var (code, stdout, stderr) = Run("prune", "--model", SharedData.Model("tracr", "xproportion.safetensors"), "--steps", "3", "--out", dir.FullName);
            Assert.True(code == 0, stderr);
            Assert.Contains("ground truth", stdout);
            Assert.Contains("precision", stdout);
            Assert.True(File.Exists(Path.Combine(dir.FullName, "circuit.html")));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
