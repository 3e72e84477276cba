using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>
/// Random weights made where a backend keeps them: every matrix and bias N(0, <see cref="RandomModelWriter.Std"/>²)
/// from the backend's seeded normal fill (tensor k of seed s draws from hash seed s·2³² + k), norm gains 1.
/// A 13B-parameter model is made on the GPU without a byte of it on the host.
/// </summary>
public static class RandomWeights
{
    public static TransformerWeights On(IKernelBackend backend, TransformerConfig config, DType dtype, int seed)
    {
        ulong next = (ulong)(uint)seed << 32;
        return RandomModelWriter.Build(config,
            dims =>
            {
                var t = backend.Empty(dtype, dims);
                backend.Gradients.FillNormal(t, RandomModelWriter.Std, next++);
                return t;
            },
            n =>
            {
                var t = backend.Empty(dtype, n);
                backend.Gradients.Fill(t, 1f);
                return t;
            });
    }
}
