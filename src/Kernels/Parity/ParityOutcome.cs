using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>What one check produced: the oracle's output and the candidate's, both host f32.</summary>
public readonly record struct ParityOutcome(Tensor Expected, Tensor Actual);
