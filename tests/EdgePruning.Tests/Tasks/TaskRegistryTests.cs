using EdgePruning.Models.Tokenizers;
using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

public class TaskRegistryTests
{
    private static readonly Gpt2Tokenizer Gpt2 = Gpt2Tokenizer.R50k();

    [Fact]
    public void Names_ListTheBuiltInTasks()
    {
        Assert.Equal(["ioi", "gt", "gp", "gp-stories", "bool-instruct", "bool-fewshot", "bool-zeroshot"], TaskRegistry.Names());
    }

    [Fact]
    public void BuiltInName_BuildsThatTask()
    {
        var task = TaskRegistry.Create("gp", Gpt2, seed: 0, new TaskSplitSizes(2, 2, 2));
        Assert.Equal("gp", task.Name);
        TaskAssertions.SizesAre(task, 2, 2, 2);
    }

    [Fact]
    public void UnknownName_ListsTheValidOnes()
    {
        var e = Assert.Throws<TaskDataException>(() => TaskRegistry.Create("iio", Gpt2, 0));
        Assert.Contains("\"iio\"", e.Message);
        Assert.Contains("ioi, gt, gp, gp-stories", e.Message);
        Assert.Contains(".jsonl", e.Message);
    }

    [Fact]
    public void ExtraFactories_AreListed_AndBuilt()
    {
        var stub = new TaskDataset { Name = "tracr-reverse", Train = [], Validation = [], Test = [] };
        var extra = new Dictionary<string, TaskDatasetFactory> { ["tracr-reverse"] = (_, _, _) => stub };
        Assert.Contains("tracr-reverse", TaskRegistry.Names(extra));
        Assert.Same(stub, TaskRegistry.Create("tracr-reverse", Gpt2, 0, extra: extra));
        Assert.Contains("tracr-reverse", Assert.Throws<TaskDataException>(() => TaskRegistry.Create("nope", Gpt2, 0, extra: extra)).Message);
    }

    [Fact]
    public void JsonlPath_LoadsTheFile()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("registry-").FullName, "mine.jsonl");
        try
        {
            File.WriteAllText(path, "{\"clean\": \"The capital of France is Paris\", \"corrupted\": \"The capital of Italy is Rome\", \"label_position\": -1}\n");
            var task = TaskRegistry.Create(path, Gpt2, 0);
            Assert.Equal("mine", task.Name);
            Assert.Single(task.Train);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }
}
