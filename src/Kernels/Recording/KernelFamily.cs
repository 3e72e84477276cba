namespace EdgePruning.Kernels.Recording;

/// <summary>The kernel set of an <see cref="IKernelBackend"/> a launch belongs to, named as the backend's property.</summary>
public enum KernelFamily
{
    /// <summary><see cref="IKernelBackend.Kernels"/>: the model's forward ops.</summary>
    Kernels,
    /// <summary><see cref="IKernelBackend.Gradients"/>: backward primitives and vector updates.</summary>
    Gradients,
    /// <summary><see cref="IKernelBackend.Training"/>: masks, masked sums, KL and AdamW.</summary>
    Training,
    /// <summary><see cref="IKernelBackend.MaskedRead"/>: the fused masked read and its backward.</summary>
    MaskedRead,
    /// <summary>The backend's own copies of host values into its tensors (<see cref="IKernelBackend.CopyFromHost"/>).</summary>
    Backend,
}
