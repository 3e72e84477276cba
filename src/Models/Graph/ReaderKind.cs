namespace EdgePruning.Models.Graph;

/// <summary>What a reader feeds: one head's query, key or value input, an MLP input, or the final readout.</summary>
public enum ReaderKind
{
    Query,
    Key,
    Value,
    Mlp,
    Logits,
}

/// <summary>
/// One input that receives edges. Writers are ordered so that a reader sees a prefix of them:
/// the first <see cref="VisibleWriters"/> writers.
/// </summary>
public readonly record struct GraphReader(string Name, ReaderKind Kind, int Layer, int Index, int VisibleWriters);
