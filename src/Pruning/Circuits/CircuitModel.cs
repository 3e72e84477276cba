using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Graph;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// The model a circuit was found in: where it came from and the shape that fixes its edge graph.
/// </summary>
public sealed record CircuitModel
{
    /// <summary>Path or id the model was loaded from.</summary>
    public required string Id { get; init; }
    /// <summary><c>gpt2</c>, <c>llama</c> or <c>tracr</c>.</summary>
    public required string Family { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int KvHeads { get; init; }
    public required int ModelDim { get; init; }
    public required int EmbeddingNodes { get; init; }
    /// <summary>Hash of the weights, when the caller computed one.</summary>
    public string? Hash { get; init; }

    public static CircuitModel Of(EdgeGraph graph, string id = "", string? hash = null) => new()
    {
        Id = id,
        Family = FamilyName(graph.Config.Family),
        Layers = graph.Config.Layers,
        Heads = graph.Config.Heads,
        KvHeads = graph.Config.EffectiveKvHeads,
        ModelDim = graph.Config.ModelDim,
        EmbeddingNodes = graph.EmbeddingNodes,
        Hash = hash,
    };

    public static string FamilyName(ModelFamily family) => family.ToString().ToLowerInvariant();

    public static ModelFamily ParseFamily(string name) => name.ToLowerInvariant() switch
    {
        "gpt2" => ModelFamily.Gpt2,
        "llama" => ModelFamily.Llama,
        "tracr" => ModelFamily.Tracr,
        _ => throw new CircuitFormatException($"unknown model family '{name}' (expected gpt2, llama or tracr)"),
    };

    /// <summary>True when <paramref name="graph"/> has this model's layers, heads, KV heads, width and embedding nodes.</summary>
    public bool Matches(EdgeGraph graph) =>
        graph.Config.Layers == Layers && graph.Config.Heads == Heads && graph.Config.EffectiveKvHeads == KvHeads
        && graph.Config.ModelDim == ModelDim && graph.EmbeddingNodes == EmbeddingNodes
        && FamilyName(graph.Config.Family) == Family.ToLowerInvariant();

    /// <summary>
    /// The edge graph of this shape, for circuits read without their model. Only the graph is meaningful:
    /// the config behind it carries placeholder sizes (MLP width, vocabulary) that the graph never reads.
    /// </summary>
    public EdgeGraph ToGraph()
    {
        var family = ParseFamily(Family);
        if (Layers <= 0 || Heads <= 0 || KvHeads <= 0 || Heads % KvHeads != 0 || ModelDim <= 0)
            throw new CircuitFormatException($"model '{Id}': {Layers} layers, {Heads} heads, {KvHeads} kv heads, dim {ModelDim} is not a model shape");
        var config = new TransformerConfig
        {
            Family = family, Layers = Layers, Heads = Heads, KvHeads = KvHeads, ModelDim = ModelDim,
            HeadDim = Math.Max(1, ModelDim / Heads), MlpDim = 1, VocabSize = 1, MaxSeqLen = 1,
            Norm = NormKind.None, MlpActivation = Activation.Relu, LearnedPositions = family != ModelFamily.Llama,
        };
        try
        {
            return EdgeGraph.For(config, EmbeddingNodes);
        }
        catch (Runtime.EdgePruningException e)
        {
            throw new CircuitFormatException($"model '{Id}': {e.Message}", e);
        }
    }
}
