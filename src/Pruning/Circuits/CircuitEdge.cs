namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// One edge of a circuit, named <c>writer-&gt;reader</c> as in MIB. <see cref="Mask"/> is the edge's own
/// final mask value; <see cref="Kept"/> is the effective decision, which also needs the writer node kept.
/// </summary>
public readonly record struct CircuitEdge(string Name, double Mask, bool Kept)
{
    public const string Arrow = "->";

    public string Writer => Split(Name).Writer;
    public string Reader => Split(Name).Reader;

    public static string NameOf(string writer, string reader) => writer + Arrow + reader;

    /// <summary>The node a reader belongs to: <c>a1.h0&lt;q&gt;</c> is head <c>a1.h0</c>'s query, <c>m2</c> and <c>logits</c> are their own.</summary>
    public static string NodeOf(string reader)
    {
        int at = reader.IndexOf('<', StringComparison.Ordinal);
        return at < 0 ? reader : reader[..at];
    }

    public static (string Writer, string Reader) Split(string edge)
    {
        int at = edge.IndexOf(Arrow, StringComparison.Ordinal);
        if (at <= 0 || at + Arrow.Length >= edge.Length)
            throw new CircuitFormatException($"'{edge}' is not an edge name of the form writer->reader");
        return (edge[..at], edge[(at + Arrow.Length)..]);
    }
}
