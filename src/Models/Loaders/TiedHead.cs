using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Checkpoints of tied models sometimes store the head as well (minGPT's <c>head.weight</c>, HF's
/// <c>lm_head.weight</c>): a stored head equal to the embedding is the embedding, so the model stays
/// tied and the weights are held once; a different one is a separate readout.
/// </summary>
internal static class TiedHead
{
    /// <summary>The embedding itself when the head is absent or equal to it, else the stored head.</summary>
    public static Tensor Resolve(SafetensorsIndex index, string headName, Tensor embedding)
    {
        if (!index.Contains(headName)) return embedding;
        var head = index.ReadF32(headName, embedding.Shape.Dims.ToArray());
        return head.Bytes.SequenceEqual(embedding.Bytes) ? embedding : head;
    }
}
