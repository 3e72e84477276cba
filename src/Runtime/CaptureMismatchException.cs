namespace EdgePruning.Runtime;

/// <summary>
/// A piece of work fed to a captured graph issued something the graph does not hold: another launch, shape,
/// scalar, tensor or allocation than at capture. The graph cannot stand for that run; capture it again.
/// </summary>
public sealed class CaptureMismatchException(string message) : EdgePruningException(message);
