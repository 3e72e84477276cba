using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Models;

public class SafetensorsIndexTests
{
    private static List<(string, Tensor)> Tensors(int n) =>
        Enumerable.Range(0, n).Select(i => ($"t{i}", Tensor.FromData(Enumerable.Repeat((float)i, 4).ToArray(), 2, 2))).ToList();

    [Fact]
    public void ShardedCheckpoint_PresentsOneLookup()
    {
        using var dir = new TempDirectory();
        SafetensorsWriter.WriteCheckpoint(dir.Path, Tensors(5), shards: 2);
        using var index = SafetensorsIndex.OpenDirectory(dir.Path);
        Assert.Equal(2, index.Shards.Count);
        Assert.Equal(5, index.Names.Count());
        for (int i = 0; i < 5; i++) Assert.Equal(Enumerable.Repeat((float)i, 4), index.ReadF32($"t{i}", 2, 2).ToArray());
        Assert.NotSame(index.FileOf("t0"), index.FileOf("t4"));
        var ex = Assert.Throws<ModelFormatException>(() => index.GetTensor("t9"));
        Assert.Contains(SafetensorsIndex.IndexFileName, ex.Message);
        Assert.Contains("'t9'", ex.Message);
    }

    [Fact]
    public void WeightMapPointingAtTheWrongShard_NamesTensorAndShard()
    {
        using var dir = new TempDirectory();
        SafetensorsWriter.WriteCheckpoint(dir.Path, Tensors(4), shards: 2);
        string indexPath = dir.File(SafetensorsIndex.IndexFileName);
        File.WriteAllText(indexPath, File.ReadAllText(indexPath).Replace("\"t0\": \"model-00001-of-00002", "\"t0\": \"model-00002-of-00002"));
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsIndex.OpenDirectory(dir.Path));
        Assert.Contains("'t0'", ex.Message);
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [Fact]
    public void DirectoryWithoutWeights_SaysWhichFilesWereExpected()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<ModelFormatException>(() => SafetensorsIndex.OpenDirectory(dir.Path));
        Assert.Contains(SafetensorsIndex.SingleFileName, ex.Message);
        Assert.Contains(SafetensorsIndex.IndexFileName, ex.Message);
    }
}
