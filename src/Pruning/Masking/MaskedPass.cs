using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Masking;

/// <summary>
/// The result of one masked forward: the readout, every writer's contribution, and the gradient
/// tensors the recorded backward fills. Fill <see cref="LogitsGrad"/> from the loss, run the tape's
/// backward, then read <see cref="EdgeGrad"/> and <see cref="NodeGrad"/>.
/// </summary>
public sealed class MaskedPass
{
    public required int Batch { get; init; }
    public required int Tokens { get; init; }
    /// <summary>[batch, tokens, outputs].</summary>
    public required Tensor Logits { get; init; }
    /// <summary>[writers, batch·tokens·d]: row w is m_w·(y_w − ỹ_w), the writer's clean-minus-baseline output
    /// (with no baseline and no node masks: the writer's output itself).</summary>
    public required Tensor Outputs { get; init; }
    /// <summary>dLoss/dLogits, zero until the loss writes it.</summary>
    public required Tensor LogitsGrad { get; init; }
    /// <summary>dLoss/dz for every edge mask (flat, <see cref="MaskLayout"/> order), accumulated by the backward.</summary>
    public required Tensor EdgeGrad { get; init; }
    /// <summary>dLoss/dm for every writer's node mask, accumulated by the backward.</summary>
    public required Tensor NodeGrad { get; init; }
    /// <summary>dLoss/dỹ [writers, batch·tokens·d] when the pass was asked for it, else null.</summary>
    public Tensor? BaselineGrad { get; init; }
}
