namespace EdgePruning.Models.Loaders;

/// <summary>A model read from disk: config and f32 weights, where they came from, and format-specific extras.</summary>
public sealed record LoadedModel(
    TransformerConfig Config,
    TransformerWeights Weights,
    ModelFileKind Kind,
    string Source,
    TracrModelInfo? Tracr = null)
{
    /// <summary>The format in words, for logs and <c>edgeprune inspect</c>.</summary>
    public string FormatName => Kind.Describe();
}
