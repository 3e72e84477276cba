using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// An <see cref="IMaskedReadKernels"/> that forwards every call to an inner implementation and records it
/// (<see cref="RecordingKernelSet{TKernels}"/>). A launch carries the work of its products z·D (2·R·U·N·d
/// each): the forward's one; the backward's recomputed input, then one more for dz and one for dD when asked.
/// </summary>
public sealed class RecordingMaskedRead(IMaskedReadKernels inner, LaunchRecorder? recorder = null)
    : RecordingKernelSet<IMaskedReadKernels>(inner, recorder), IMaskedReadKernels
{
    private protected override KernelFamily Family => KernelFamily.MaskedRead;
    private protected override IMaskedReadKernels Of(IKernelBackend backend) => backend.MaskedRead;

    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd)
    {
        if (Executes) Inner.Forward(z, stack, corrupted, norm, y, mean, rstd);
        if (!IsRecording) return;
        Record(nameof(Forward),
            Given(("z", z), ("stack", stack), ("corrupted", corrupted), ("gamma", norm.Gamma), ("beta", norm.Beta), ("y", y), ("mean", mean), ("rstd", rstd)),
            [new("norm", norm.Kind), new("eps", norm.Eps)], ProductFlops(z, stack, corrupted, norm),
            m => m.Forward(z, stack, corrupted, norm, y, mean, rstd));
    }

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        if (Executes) Inner.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
        if (!IsRecording) return;
        int products = 1 + (dz is null ? 0 : 1) + (dStack is null ? 0 : 1);
        Record(nameof(Backward),
            Given(("z", z), ("stack", stack), ("corrupted", corrupted), ("gamma", norm.Gamma), ("beta", norm.Beta), ("mean", mean), ("rstd", rstd),
                ("outputGrad", outputGrad), ("dz", dz), ("dStack", dStack), ("dCorrupted", dCorrupted)),
            [new("norm", norm.Kind), new("eps", norm.Eps)], products * ProductFlops(z, stack, corrupted, norm),
            m => m.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted));
    }

    private static double ProductFlops(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm)
    {
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        return 2.0 * s.Readers * s.StackCount;
    }
}
