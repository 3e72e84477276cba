using EdgePruning.Kernels.Cpu;
using EdgePruning.Models;
using EdgePruning.Models.Generation;
using EdgePruning.Models.Loaders;
using EdgePruning.Pruning;

namespace EdgePruning.Tests.Models;

/// <summary>Decoding with the model and its KV cache on a GPU gives the CPU's tokens.</summary>
public class CudaGenerationTests
{
    [CudaFact(Shared = true)]
    public void GreedyDecoding_OnCuda_GivesTheCpuTokens()
    {
        var loaded = ModelLoader.Load(SharedData.Model("stories260K", "stories260K.bin"));
        int[] prompt = [1, 403, 407, 261, 378];
        var onCpu = new TextGenerator(new Transformer(loaded.Config, loaded.Weights, CpuKernels.Instance, "cpu"))
            .Generate(prompt, 40, new Sampler(0, 0)).ToArray();
        using var device = RunDevice.Open("cuda", "f32");
        var onCuda = new TextGenerator(device.Place(loaded.Config, loaded.Weights, "cuda")).Generate(prompt, 40, new Sampler(0, 0)).ToArray();
        Assert.Equal(40, onCpu.Length);
        Assert.True(onCpu.Distinct().Count() > 5, "the CPU's text repeats one token: nothing to compare");
        Assert.Equal(onCpu, onCuda);
    }
}
