using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>One input of a check: the tensor the candidate reads, and the host f32 tensor the oracle reads (the same values).</summary>
public readonly record struct ParityInput(Tensor Candidate, Tensor Oracle);
