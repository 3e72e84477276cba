using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Reference;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// What a candidate backend is held to, one host implementation per kernel set, each taking host tensors
/// (f32; the masked read also a bf16 D and y). <see cref="Host"/> is the set every check uses.
/// </summary>
public sealed record ParityOracle(IKernels Kernels, IGradientKernels Gradients, ITrainingKernels Training, IMaskedReadKernels MaskedRead)
{
    /// <summary>
    /// The scalar <see cref="ReferenceKernels"/>, <see cref="CpuGradientKernels"/> (the backward code of the
    /// autodiff ops), <see cref="ReferenceTrainingKernels"/> over the scalar kernels and <see cref="MaskedReadReference"/>.
    /// A new set per call: the gradient kernels keep scratch and are not for concurrent callers.
    /// </summary>
    public static ParityOracle Host() =>
        new(ReferenceKernels.Instance, new CpuGradientKernels(), new ReferenceTrainingKernels(ReferenceKernels.Instance), MaskedReadReference.Instance);
}
