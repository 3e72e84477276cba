using System.Text.RegularExpressions;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// A circuit file (ours or MIB's) that cannot be read: corrupt, of an unknown format or version, or not
/// matching the graph. The message is one line, even when it quotes a parser message that spans several.
/// </summary>
public sealed partial class CircuitFormatException : EdgePruningException
{
    public CircuitFormatException(string message) : base(OneLine(message)) { }
    public CircuitFormatException(string message, Exception inner) : base(OneLine(message), inner) { }

    private static string OneLine(string message) => LineBreaks().Replace(message, " ");

    [GeneratedRegex(@"\s*[\r\n]+\s*")]
    private static partial Regex LineBreaks();
}
