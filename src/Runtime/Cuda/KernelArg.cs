namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// One kernel parameter in an 8-byte slot: a device address, an int, a float or a double (the kernel reads as many
/// bytes as its parameter has, from the start of the slot; x86-64 and the GPU are both little-endian).
/// </summary>
public readonly struct KernelArg
{
    public KernelArg(ulong bits) => Bits = bits;

    public ulong Bits { get; }

    public static implicit operator KernelArg(int value) => new((uint)value);
    public static implicit operator KernelArg(long value) => new((ulong)value);
    public static implicit operator KernelArg(ulong address) => new(address);
    public static implicit operator KernelArg(float value) => new((uint)BitConverter.SingleToInt32Bits(value));
    public static implicit operator KernelArg(double value) => new((ulong)BitConverter.DoubleToInt64Bits(value));

    /// <summary>A tensor's device address, or a null pointer for a missing optional tensor.</summary>
    public static implicit operator KernelArg(Tensor? tensor) => new(tensor is null ? 0UL : tensor.DeviceAddress);
}
