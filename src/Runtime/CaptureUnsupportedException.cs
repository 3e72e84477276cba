namespace EdgePruning.Runtime;

/// <summary>
/// Work under capture (or being fed to a captured graph) asked for something a graph cannot hold: reading a
/// result back to the host, or waiting for the device. Such work runs without a graph.
/// </summary>
public sealed class CaptureUnsupportedException(string message) : EdgePruningException(message);
