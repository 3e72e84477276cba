namespace EdgePruning.Runtime;

/// <summary>
/// Base of every failure a user can act on. The CLI prints <see cref="Exception.Message"/> as one line
/// and exits non-zero; each failure domain (model files, tokenizers, tasks, training) derives its own type.
/// </summary>
public class EdgePruningException : Exception
{
    public EdgePruningException(string message) : base(message) { }
    public EdgePruningException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A tensor was given a shape that the operation cannot accept.</summary>
public sealed class ShapeException : EdgePruningException
{
    public ShapeException(string message) : base(message) { }
}
