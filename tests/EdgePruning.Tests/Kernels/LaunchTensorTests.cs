using EdgePruning.Kernels.Recording;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

public class LaunchTensorTests
{
    [Fact]
    public unsafe void HostTensor_IsRecordedByItsPointer_AndDeviceTensorByItsDeviceAddress()
    {
        var host = Tensor.Zeros(DType.BF16, 2, 3);
        var recorded = LaunchTensor.Of("x", host.Rows(1, 1));
        Assert.Equal((nint)host.Pointer + 6, recorded.Address);
        Assert.Equal(DType.BF16, recorded.DType);

        var device = Tensor.Wrap(new DeviceBytes(64, 0x7000), 16, DType.F32, 4);
        Assert.Throws<ShapeException>(() => (nint)device.Pointer);
        Assert.Equal(new LaunchTensor("y", device.Shape, DType.F32, 0x7010), LaunchTensor.Of("y", device));
    }

    /// <summary>Device memory as a recorder sees it: an address and a length, nothing to read from the host.</summary>
    private sealed class DeviceBytes(long length, ulong address) : Storage, IDeviceStorage
    {
        public override long ByteLength => length;
        public override string Location => "test device";
        public ulong DeviceAddress => address;
    }
}
