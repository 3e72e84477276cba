namespace EdgePruning.Pruning.Planning;

/// <summary>How long the memory of a term is held.</summary>
public enum MemoryScope
{
    /// <summary>For the whole run: weights, masks and their optimizer state.</summary>
    Run,
    /// <summary>For one micro-batch of a step: activations, the difference stack, logits.</summary>
    MicroBatch,
}

/// <summary>One line of a <see cref="MemoryPlan"/>.</summary>
/// <param name="Key">A stable snake-case name (the JSON key).</param>
/// <param name="Name">What the memory holds, for people.</param>
/// <param name="Bytes">The size by formula.</param>
/// <param name="Formula">The formula with its numbers filled in.</param>
public sealed record MemoryTerm(string Key, string Name, MemoryScope Scope, long Bytes, string Formula);
