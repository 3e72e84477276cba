using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Graph;
using EdgePruning.Pruning.Circuits;

namespace EdgePruning.Tests.Circuits;

/// <summary>Small graphs of each shape the circuit code must handle, and a seeded random circuit over them.</summary>
internal static class CircuitTestGraphs
{
    public static EdgeGraph Gpt2Small(int embeddingNodes = 2) => EdgeGraph.For(KnownShapes.Gpt2(layers: 3, heads: 4, dim: 32), embeddingNodes);

    /// <summary>8 query heads sharing 2 KV heads (groups of 4), no embedding nodes: the Llama default.</summary>
    public static EdgeGraph LlamaGqa(int embeddingNodes = 0) => EdgeGraph.For(KnownShapes.Llama(3, 8, 2, 64, 16, 10, 8), embeddingNodes);

    public static EdgeGraph Tracr(int layers = 4) => EdgeGraph.For(new TransformerConfig
    {
        Family = ModelFamily.Tracr, Layers = layers, Heads = 1, ModelDim = 41, HeadDim = 12, MlpDim = 30, VocabSize = 5,
        MaxSeqLen = 6, Norm = NormKind.None, MlpActivation = Activation.Relu, LearnedPositions = true, Causal = false,
    }, 2);

    public static double[][] RandomMasks(EdgeGraph graph, int seed)
    {
        var rng = new Random(seed);
        var masks = new double[graph.Readers.Count][];
        for (int r = 0; r < masks.Length; r++)
        {
            masks[r] = new double[graph.Readers[r].VisibleWriters];
            for (int w = 0; w < masks[r].Length; w++)
                masks[r][w] = rng.NextDouble() < 0.7 ? rng.NextDouble() * 0.3 : 0.7 + rng.NextDouble() * 0.3;
        }
        return masks;
    }

    public static Circuit RandomCircuit(EdgeGraph graph, int seed) =>
        Circuit.FromMasks(graph, RandomMasks(graph, seed), modelId: "test-model");
}
