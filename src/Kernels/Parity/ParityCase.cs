using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// One check of the suite: a primitive on one shape. <see cref="Run"/> calls the candidate and the oracle on
/// the same inputs. It runs once per dtype of the backend, or only in <see cref="OnlyDType"/> when set (the
/// conversions, whose dtypes are part of the case). <see cref="Reduction"/> is the length of its longest dot
/// product, which sets the tolerance of a matrix product on a GPU.
/// </summary>
public sealed record ParityCase(
    string Name,
    string Shape,
    ParityArithmetic Arithmetic,
    Func<ParityContext, ParityOutcome> Run,
    int Reduction = 0,
    bool Quick = false,
    DType? OnlyDType = null);
