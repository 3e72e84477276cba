using EdgePruning.Kernels;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// A model's weights moved tensor by tensor: onto a backend in a dtype, or rounded through a dtype on the host
/// (what the oracle reads). A tied readout stays tied: the same tensor is moved once.
/// </summary>
public static class WeightPlacement
{
    public static TransformerWeights Upload(IKernelBackend backend, TransformerWeights weights, DType dtype) =>
        Map(weights, t => backend.Upload(t, dtype));

    public static TransformerWeights Rounded(TransformerWeights weights, DType dtype) =>
        dtype == DType.F32 ? weights : Map(weights, t => t.To(dtype).ToF32());

    public static TransformerWeights Map(TransformerWeights w, Func<Tensor, Tensor> move)
    {
        var moved = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        Tensor M(Tensor t) => moved.TryGetValue(t, out var m) ? m : moved[t] = move(t);
        Tensor? O(Tensor? t) => t is null ? null : M(t);
        return new TransformerWeights
        {
            TokenEmbedding = M(w.TokenEmbedding),
            PositionEmbedding = O(w.PositionEmbedding),
            Layers = w.Layers.Select(l => new LayerWeights
            {
                AttnNormWeight = O(l.AttnNormWeight), AttnNormBias = O(l.AttnNormBias),
                Wq = M(l.Wq), Bq = O(l.Bq), Wk = M(l.Wk), Bk = O(l.Bk), Wv = M(l.Wv), Bv = O(l.Bv), Wo = M(l.Wo), Bo = O(l.Bo),
                MlpNormWeight = O(l.MlpNormWeight), MlpNormBias = O(l.MlpNormBias),
                WUp = M(l.WUp), BUp = O(l.BUp), WGateUp = O(l.WGateUp), WDown = M(l.WDown), BDown = O(l.BDown),
            }).ToArray(),
            FinalNormWeight = O(w.FinalNormWeight),
            FinalNormBias = O(w.FinalNormBias),
            Unembedding = M(w.Unembedding),
        };
    }
}
