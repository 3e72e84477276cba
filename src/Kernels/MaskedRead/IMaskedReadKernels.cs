using EdgePruning.Runtime;

namespace EdgePruning.Kernels.MaskedRead;

/// <summary>
/// The fused masked read of one reader group and its backward (kernels-cu/masked_read.cu): every reader's
/// normed input from the difference stack and the corrupted sum in one pass. Layouts, dtypes and precision:
/// <see cref="MaskedReadReference"/> (scalar, double: the oracle of the parity checks); <c>CpuMaskedRead</c>
/// runs it on the host's cores in f32, <c>CudaMaskedRead</c> on a GPU.
/// </summary>
public interface IMaskedReadKernels
{
    /// <summary>Writes y [R,N,d] (f32 or bf16) and, when given, mean and rstd [R,N]. RMSNorm keeps no mean: pass null.</summary>
    void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd);

    /// <summary>
    /// Adds the gradients of y (<paramref name="outputGrad"/> dY [R,N,d], f32 or bf16) into dz [R,U] (f32), dStack
    /// [U,N,d] (f32 or bf16: summed in f32, rounded when stored) and dCorrupted [N,d] (f32), each optional. mean
    /// (LayerNorm only) and rstd are the forward's.
    /// </summary>
    void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted);
}
