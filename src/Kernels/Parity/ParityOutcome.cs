using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// What one check produced: the oracle's output and the candidate's, both host f32, and the typical size of
/// the result that sets the absolute part of the tolerance (<see cref="ParityTolerances"/>); null means the
/// RMS of the oracle's output.
/// </summary>
public readonly record struct ParityOutcome(Tensor Expected, Tensor Actual, double? Scale = null);
