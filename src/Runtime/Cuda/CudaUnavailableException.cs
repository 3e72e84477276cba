namespace EdgePruning.Runtime.Cuda;

/// <summary>No usable CUDA library or device: the message says which and lists every path tried.</summary>
public sealed class CudaUnavailableException : EdgePruningException
{
    public CudaUnavailableException(string message) : base(message) { }
}
