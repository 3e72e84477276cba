using EdgePruning.Pruning;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Pruning;

/// <summary>How <c>--device</c> and <c>--dtype</c> are read: the automatic choice, its reason, and the refusals.</summary>
public class RunDeviceTests
{
    [Fact]
    public void Auto_ForASmallModel_IsTheCpu_AndSaysWhy()
    {
        using var device = RunDevice.Open(null, null, parameters: 260_000);
        Assert.Equal("cpu", device.Name);
        Assert.False(device.IsCuda);
        Assert.Equal(DType.F32, device.DType);
        Assert.Contains("260,000 parameters", device.Choice);
    }

    [EmulatedCudaFact]
    public void Auto_NeverChoosesTheEmulator_EvenForALargeModel()
    {
        using var device = RunDevice.Open("auto", null, parameters: 7_000_000_000);
        Assert.Equal("cpu", device.Name);
        Assert.Contains("emulator", device.Choice);
    }

    [CudaFact]
    public void NamedCuda_IsOpened_InTheDefaultDtypeForTheModelsSize()
    {
        using (var small = RunDevice.Open("cuda", null, parameters: 1_000_000))
        {
            Assert.Equal("cuda:0", small.Name);
            Assert.Equal(DType.F32, small.DType);
            Assert.Null(small.Choice);
            Assert.NotNull(small.FreeBytes());
        }
        using var large = RunDevice.Open("cuda:0", null, parameters: 13_000_000_000);
        Assert.Equal(DType.BF16, large.DType);
    }

    [Theory]
    [InlineData("cpu", "bf16", "not supported on the CPU")]
    [InlineData("cpu", "f16", "f16 is not offered")]
    [InlineData("cpu,cuda", null, "unknown device 'cpu,cuda'")]
    [InlineData("tpu", null, "unknown device 'tpu'")]
    [InlineData("cpu", "f8", "unknown dtype 'f8'")]
    public void Refusals_NameTheProblem(string device, string? dtype, string expected)
    {
        var error = Assert.ThrowsAny<EdgePruningException>(() => RunDevice.Open(device, dtype).Dispose());
        Assert.Contains(expected, error.Message);
    }
}
