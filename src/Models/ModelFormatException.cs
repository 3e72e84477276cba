using EdgePruning.Runtime;

namespace EdgePruning.Models;

/// <summary>A model file or directory that cannot be read: missing, truncated, corrupt, or of the wrong shape.</summary>
public sealed class ModelFormatException : EdgePruningException
{
    public ModelFormatException(string message) : base(message) { }
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
