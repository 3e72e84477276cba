using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// One output of a checked call, both sides as host f32: the oracle's and the candidate's. <see cref="Scale"/>
/// is the typical size of the result that sets the absolute part of the tolerance (null: the RMS of the
/// oracle's output, <see cref="ParityTolerances"/>); <see cref="DType"/> the dtype the candidate stored it
/// in when that is not the check's own (the f32 statistics of a masked read over a bf16 stack, its bf16 y
/// from an f32 stack); <see cref="Reduction"/> the length of its longest dot product when not the case's
/// (dz and dD of a masked edge sum reduce over different axes). A call that writes several outputs (dq, dk,
/// dv; parameters and moments) gives each its own, so that each is measured against its own size.
/// </summary>
public sealed record ParityOutput(string Name, Tensor Expected, Tensor Actual, double? Scale = null, DType? DType = null, int? Reduction = null);
