using EdgePruning.Tests.Models;
using EdgePruning.Tests.Tasks;

namespace EdgePruning.Tests.Cli;

/// <summary>
/// The CodeLlama case study's pipeline on a small random Llama with a SentencePiece tokenizer: <c>prune</c> run
/// once per prompt style (a few steps), leaving the two circuit files for the compare tests.
/// </summary>
public sealed class BooleanPipelineFixture : IDisposable
{
    private readonly TempDirectory _dir = new();

    public BooleanPipelineFixture()
    {
        BooleanTestModel.Write(_dir.Path);
        Instruct = Prune("bool-instruct", "ip");
        FewShot = Prune("bool-fewshot", "fs");
    }

    public string Model => _dir.Path;
    public string Instruct { get; }
    public string FewShot { get; }
    public string Folder(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    /// <summary>Prunes with the recipe shortened to a few steps of a few sequences; returns circuit.json's path.</summary>
    private string Prune(string task, string name)
    {
        string outDir = _dir.File(name);
        var (code, _, err) = CliRunner.Run("prune", "--model", Model, "--task", task, "--steps", "6", "--batch", "4",
            "--sparsity-warmup", "4", "--lr-warmup", "1", "--target-sparsity", "0.6", "--out", outDir, "--json");
        if (code != 0) throw new InvalidOperationException($"prune --task {task} failed ({code}): {err}");
        return Path.Combine(outDir, "circuit.json");
    }

    public void Dispose() => _dir.Dispose();
}
