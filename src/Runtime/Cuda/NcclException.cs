namespace EdgePruning.Runtime.Cuda;

/// <summary>An NCCL call failed: the message names the call, NCCL's error string and, where NCCL gave one, its detail.</summary>
public sealed class NcclException : CudaException
{
    public NcclException(string message, int result) : base(message) => Result = result;

    /// <summary>The ncclResult_t code.</summary>
    public int Result { get; }
}
