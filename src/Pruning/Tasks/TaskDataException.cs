using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Tasks;

/// <summary>Task data that cannot be turned into examples: a bad user file, or a tokenizer the task does not fit.</summary>
public sealed class TaskDataException : EdgePruningException
{
    public TaskDataException(string message) : base(message) { }
    public TaskDataException(string message, Exception inner) : base(message, inner) { }
}
