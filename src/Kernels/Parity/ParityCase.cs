using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// One check of the suite: a primitive on one shape. <see cref="Run"/> calls the candidate and the oracle on
/// the same inputs. It runs once per dtype of the backend, or only in <see cref="OnlyDType"/> when set (the
/// conversions, whose dtypes are part of the case; the f32 training kernels), and only on a backend that
/// stores <see cref="Needs"/> when set (a masked read whose y is bf16 whatever the stack's dtype).
/// <see cref="Reduction"/> is the length of its longest dot product, which sets the tolerance of a matrix
/// product on a GPU. <see cref="Family"/> says which kernel set of the backend it checks.
/// </summary>
public sealed record ParityCase(
    string Name,
    string Shape,
    ParityArithmetic Arithmetic,
    Func<ParityContext, ParityOutcome> Run,
    int Reduction = 0,
    bool Quick = false,
    DType? OnlyDType = null,
    ParityFamily Family = ParityFamily.Kernels,
    DType? Needs = null);
