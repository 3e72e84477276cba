using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;

namespace EdgePruning.Tests.Models;

/// <summary>
/// A Hugging Face checkpoint pruned on a GPU streams there a layer at a time: the job's weights live on the device
/// only, progress is heard per layer, and the model computes what the same weights loaded whole and copied compute.
/// </summary>
public class StreamedLoadTests
{
    [CudaFact(Shared = true)]
    public void Gpt2Checkpoint_OnCuda_StreamsLayerByLayer_AndComputesAsTheWholeCopy()
    {
        string path = SharedData.Model("gpt2-tasks");
        using var device = RunDevice.Open("cuda", "f32");
        var heard = new List<(int Done, int Of)>();
        var job = PruningJob.Create(path, "ioi", _ => device, o => o with { Steps = 1 }, loadProgress: (done, of) => heard.Add((done, of)));
        var weights = job.Loaded.Weights;
        Assert.True(weights.TokenEmbedding.IsOnDevice && weights.Unembedding.IsOnDevice && weights.PositionEmbedding!.IsOnDevice);
        Assert.Same(weights.TokenEmbedding, weights.Unembedding);
        Assert.All(weights.Layers, l => Assert.True(l.Wq.IsOnDevice && l.WDown.IsOnDevice && l.AttnNormWeight!.IsOnDevice));
        int layers = job.Loaded.Config.Layers;
        Assert.Equal(Enumerable.Range(1, layers).Select(i => (i, layers)), heard);

        var host = ModelLoader.Load(path);
        var copied = device.Place(host.Config, host.Weights, path);
        int[] tokens = [50256, 464, 3290, 286, 262, 1110, 373, 257];
        var streamed = device.Backend!.Download(job.Masked.Model.Forward(tokens, 1));
        var whole = device.Backend.Download(copied.Forward(tokens, 1));
        Assert.Equal(whole.Span.ToArray(), streamed.Span.ToArray());
    }
}
