namespace EdgePruning.Runtime;

/// <summary>A storage in a GPU's memory: kernels address it by <see cref="DeviceAddress"/>.</summary>
public interface IDeviceStorage
{
    ulong DeviceAddress { get; }
}
