namespace EdgePruning.Models.Loaders;

/// <summary>
/// What a Tracr model means beyond its weights: the vocabulary, the special tokens, and how to read the
/// output. A categorical program (reverse) has <see cref="OutputClasses"/>: readout output i is the score
/// of class i. A numerical one (xproportion) has <see cref="OutputResidualDim"/>: its single readout
/// output is that residual dimension.
/// </summary>
public sealed record TracrModelInfo(
    string Name,
    IReadOnlyDictionary<string, int> Vocab,
    string Bos,
    string Pad,
    IReadOnlyList<string>? OutputClasses,
    int? OutputResidualDim,
    string? Program = null)
{
    // Program: the built-in RASP program a file was compiled from (edgeprune rasp compile writes it into
    // NAME.json), which brings its task; null for files from Tracr itself, whose task goes by file name.

    public bool IsCategorical => OutputClasses is not null;

    public int BosId => IdOf(Bos);
    public int PadId => IdOf(Pad);

    public int IdOf(string token) =>
        Vocab.TryGetValue(token, out int id)
            ? id
            : throw new ArgumentException($"'{token}' is not in the vocabulary of tracr model {Name} ({string.Join(", ", Vocab.Keys)})", nameof(token));
}
