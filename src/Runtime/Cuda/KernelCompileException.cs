namespace EdgePruning.Runtime.Cuda;

/// <summary>A kernel source that NVRTC rejected: the message carries the log's error lines (file and line), <see cref="Log"/> the whole log.</summary>
public sealed class KernelCompileException : CudaException
{
    public KernelCompileException(string message, string log) : base(message) => Log = log;

    public string Log { get; }
}
