using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// A tensor argument of a recorded launch: its role in the call, its shape and dtype, and where its first
/// element sits (a host pointer, or a device address for a tensor in device memory).
/// </summary>
public readonly record struct LaunchTensor(string Role, Shape Shape, DType DType, nint Address)
{
    public static unsafe LaunchTensor Of(string role, Tensor t) =>
        new(role, t.Shape, t.DType, t.IsOnDevice ? unchecked((nint)t.DeviceAddress) : (nint)t.Pointer);

    public override string ToString() => $"{Role}{Shape} {DType.Name()}@0x{Address:x}";
}
