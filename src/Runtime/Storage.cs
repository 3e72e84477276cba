namespace EdgePruning.Runtime;

/// <summary>
/// Bytes that tensors view: in host memory (<see cref="HostStorage"/>) or in a GPU's memory
/// (<c>Cuda.DeviceStorage</c>). Data moves between the two only by explicit copies.
/// </summary>
public abstract class Storage
{
    public abstract long ByteLength { get; }
    public virtual bool IsReadOnly => false;

    /// <summary>Where the bytes live, as users name it: "host" or "cuda:0".</summary>
    public abstract string Location { get; }

    public bool IsHost => this is HostStorage;
}
