using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// A model's weights moved tensor by tensor: onto a backend in a dtype, or rounded through a dtype on the host
/// (what the oracle reads). A tied readout stays tied: the same tensor is moved once.
/// </summary>
public static class WeightPlacement
{
    public static TransformerWeights Upload(IKernelBackend backend, TransformerWeights weights, DType dtype) =>
        weights.Map(t => backend.Upload(t, dtype));

    public static TransformerWeights Rounded(TransformerWeights weights, DType dtype) =>
        dtype == DType.F32 ? weights : weights.Map(t => t.To(dtype).ToF32());
}
