namespace EdgePruning.Runtime.Cuda;

/// <summary>A CUDA call failed on a usable device: the message names the call and the driver's error.</summary>
public class CudaException : EdgePruningException
{
    public CudaException(string message) : base(message) { }
}

/// <summary>The device has no room for an allocation even after the pool gave back its cached blocks.</summary>
public sealed class DeviceOutOfMemoryException : CudaException
{
    public DeviceOutOfMemoryException(string message) : base(message) { }
}
