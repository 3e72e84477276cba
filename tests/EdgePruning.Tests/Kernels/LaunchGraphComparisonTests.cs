using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Recording;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// <see cref="LaunchGraph.SameLaunchesAs"/>: two graphs issue the same launches when kinds, tensor shapes and
/// dtypes, and scalars agree in order, whatever tensors and input values they ran on.
/// </summary>
public class LaunchGraphComparisonTests
{
    private static LaunchGraph Recorded(MixedKernelWork work)
    {
        var backend = new RecordingBackend(new CpuKernelBackend());
        work.Run(backend);
        return backend.Restart();
    }

    [Fact]
    public void TwoRunsOfTheSameWork_OnOtherTensorsAndValues_IssueTheSameLaunches()
    {
        var a = Recorded(MixedKernelWork.Random(seed: 1));
        var b = Recorded(MixedKernelWork.Random(seed: 2));
        Assert.NotEqual(a.Launches[0].Tensors[0].Address, b.Launches[0].Tensors[0].Address);
        Assert.True(a.SameLaunchesAs(b, out var difference), difference);
        Assert.Null(difference);
    }

    [Fact]
    public void AChangedShape_IsNamedAtTheFirstLaunchItReaches()
    {
        var a = Recorded(MixedKernelWork.Random(seed: 1, tokens: 4));
        var b = Recorded(MixedKernelWork.Random(seed: 1, tokens: 5));
        Assert.False(a.SameLaunchesAs(b, out var difference));
        Assert.Equal("launch 0: Linear: tensor x[4, 8] f32 ≠ x[5, 8] f32", difference);
    }

    [Fact]
    public void AChangedScalar_IsNamedWithBothValues()
    {
        var a = Recorded(MixedKernelWork.Random(seed: 1, gradScale: 0.5f));
        var b = Recorded(MixedKernelWork.Random(seed: 1, gradScale: 0.25f));
        Assert.False(a.SameLaunchesAs(b, out var difference));
        Assert.Equal("launch 6: Training.KlDivergence: gradScale=0.5 ≠ gradScale=0.25", difference);
    }

    [Fact]
    public void AnExtraOrDifferentLaunch_IsNamed()
    {
        var work = MixedKernelWork.Random(seed: 1);
        var a = Recorded(work);
        var backend = new RecordingBackend(new CpuKernelBackend());
        work.Run(backend);
        backend.Gradients.Fill(work.Dh, 0f);
        var longer = backend.Restart();
        Assert.False(a.SameLaunchesAs(longer, out var difference));
        Assert.Equal($"launch {MixedKernelWork.Launches}: none here, Gradients.Fill in the other ({MixedKernelWork.Launches} launches ≠ {MixedKernelWork.Launches + 1})",
            difference);
        Assert.False(longer.SameLaunchesAs(a, out difference));
        Assert.StartsWith($"launch {MixedKernelWork.Launches}: Gradients.Fill here, none in the other", difference);

        var x = Tensor.Zeros(4);
        backend.Gradients.Fill(x, 0f);
        var fill = backend.Restart();
        backend.Gradients.Scale(x, 0f, x);
        Assert.False(fill.SameLaunchesAs(backend.Restart(), out difference));
        Assert.Equal("launch 0: Gradients.Fill ≠ Gradients.Scale", difference);
    }

    [Fact]
    public void ADifferentDType_OrAnOmittedOptionalTensor_IsADifference()
    {
        var backend = new RecordingBackend(new CpuKernelBackend());
        var g = Tensor.Zeros(2, 3);
        backend.Gradients.SwiGluBackward(g, g, g, Tensor.Zeros(2, 3), null);
        var dGate = backend.Restart();
        backend.Gradients.SwiGluBackward(g, g, g, null, Tensor.Zeros(2, 3));
        Assert.False(dGate.SameLaunchesAs(backend.Restart(), out var difference));
        Assert.Equal("launch 0: Gradients.SwiGluBackward: tensor dGate[2, 3] f32 ≠ dUp[2, 3] f32", difference);

        backend.Kernels.Copy(Tensor.Zeros(3), Tensor.Zeros(3));
        var f32 = backend.Restart();
        backend.Kernels.Copy(Tensor.Zeros(3), Tensor.Zeros(DType.BF16, 3));
        Assert.False(f32.SameLaunchesAs(backend.Restart(), out difference));
        Assert.Equal("launch 0: Copy: tensor destination[3] f32 ≠ destination[3] bf16", difference);
    }
}
