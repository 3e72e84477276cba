using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Training;

/// <summary>
/// The primitives of an edge-pruning step beyond the model's own: the masked edge sum (unfused: a product
/// through GEMM), the hard-concrete masks, the KL objective and the AdamW update of the mask logits.
/// All tensors are f32. <c>ReferenceTrainingKernels</c> is the host oracle (the same formulas as the
/// autodiff ops and the trainer, which tests hold it to); <c>CudaTrainingKernels</c> runs them on a GPU.
/// </summary>
public interface ITrainingKernels
{
    /// <summary>z = clamp(l + (r−l)·σ((log u − log(1−u) + logα)/β), 0, 1), elementwise.</summary>
    void HardConcrete(Tensor logAlpha, Tensor uniform, Tensor z);

    /// <summary>
    /// dLogAlpha += (dz + dzShift)·(r−l)·s(1−s)/β where the stretched value lies strictly inside (0,1); dz + dzShift is
    /// formed in f32 (the trainer's sparsity term, one value for every mask).
    /// </summary>
    void HardConcreteBackward(Tensor logAlpha, Tensor uniform, Tensor dz, Tensor dLogAlpha, float dzShift = 0);

    /// <summary>u[i] = <see cref="Kernels.MaskNoise.At"/>(seed, i): the hard-concrete noise of one step, the same bits everywhere.</summary>
    void MaskNoise(Tensor u, ulong seed);

    /// <summary>
    /// S = Σ x (or Σ x² when <paramref name="squares"/>) in double, written to the two f32 entries of
    /// <paramref name="total"/> as total[0] = (float)S, total[1] = (float)(S − total[0]) (<see cref="SumTotal"/> reads it).
    /// </summary>
    void Sum(Tensor x, bool squares, Tensor total);

    /// <summary>
    /// X[R,N] = C + Zᵛ·D: C [N] broadcast to every reader (or [R,N]), D [W,N] the difference stack, Zᵛ the
    /// masks [R,W] with the entries a reader cannot see (w ≥ visible[r]) read as 0; empty
    /// <paramref name="visible"/> means every reader sees every writer.
    /// </summary>
    void MaskedEdgeSum(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x);

    /// <summary>dz[r,w] += ⟨D[w], dX[r]⟩ for visible entries; dd += Zᵛᵀ·dX. Either gradient may be null.</summary>
    void MaskedEdgeSumBackward(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd);

    /// <summary>
    /// Per selected row i: rowKl[i] = KL(softmax(full[rows[i]]) ‖ softmax(circuit[rows[i]])) over the
    /// columns (all when <paramref name="columns"/> is empty, else re-softmaxed over those), and
    /// dCircuit[rows[i], col] += gradScale·(p_circuit − p_full). Rows must be distinct.
    /// </summary>
    void KlDivergence(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit, float gradScale);

    /// <summary>
    /// The loss of a numerical output, per sequence b: column 0 of the logits at rows
    /// rows[offsets[b] .. offsets[b+1]) softmaxed across those rows on both sides; seqKl[b] = KL(full ‖ circuit) and
    /// dCircuit[row, 0] += gradScale·(p_circuit − p_full). <paramref name="offsets"/> has one entry per sequence plus one;
    /// rows must be distinct.
    /// </summary>
    void SequenceKl(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit, float gradScale);

    /// <summary>One AdamW update in place of parameters and moments, as <see cref="AdamWStep"/> describes.</summary>
    void AdamW(Tensor parameters, Tensor gradients, Tensor first, Tensor second, AdamWStep step);
}
