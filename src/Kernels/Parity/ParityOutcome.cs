using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>What one check produced: the outputs of the call on both sides (<see cref="ParityOutput"/>), most often one.</summary>
public readonly struct ParityOutcome
{
    /// <summary>One output: the oracle's, the candidate's, and its typical size (null: the RMS of the oracle's).</summary>
    public ParityOutcome(Tensor expected, Tensor actual, double? scale = null) => Outputs = [new ParityOutput("", expected, actual, scale)];

    public ParityOutcome(params ParityOutput[] outputs) => Outputs = outputs;

    public IReadOnlyList<ParityOutput> Outputs { get; }
}
