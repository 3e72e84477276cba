namespace EdgePruning.Kernels.Parity;

/// <summary>Which of a backend's kernel sets a parity case checks, and so which oracle of <see cref="ParityOracle"/> it is held to.</summary>
public enum ParityFamily
{
    /// <summary><see cref="IKernelBackend.Kernels"/>, the forward primitives of the models.</summary>
    Kernels,
    /// <summary><see cref="IKernelBackend.Gradients"/>, the backward primitives.</summary>
    Gradients,
    /// <summary><see cref="IKernelBackend.Training"/>, the primitives of a pruning step (f32).</summary>
    Training,
    /// <summary><see cref="IKernelBackend.MaskedRead"/>, the fused masked read and its backward.</summary>
    MaskedRead,
}
