namespace EdgePruning.Kernels.Recording;

/// <summary>
/// A host array a recorded launch reads (token ids, a key mask, visible counts, KL rows and columns), copied
/// when the launch was recorded and read again by every replay: write new values into
/// <see cref="Values"/> to feed a replay new input, as one writes a CUDA graph's input buffer in place.
/// </summary>
public readonly record struct LaunchHostArray(string Name, Array Values)
{
    public override string ToString() => $"{Name}[{Values.Length}]";
}
