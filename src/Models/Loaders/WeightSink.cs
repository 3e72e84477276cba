using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Where a loader's tensors go as soon as they are read: kept on the host (the default), or handed to
/// <c>place</c> (a copy onto a GPU) one layer at a time, so that the host holds about one layer of f32 weights
/// at a time instead of the whole model. <c>progress</c> hears (tensors done, tensors in all) as layers finish.
/// </summary>
public sealed class WeightSink(Func<Tensor, Tensor>? place = null, Action<int, int>? progress = null)
{
    public static readonly WeightSink Host = new();

    /// <summary>Whether tensors leave the host (a loader then drops its host copy of each).</summary>
    public bool Places => place is not null;

    public Tensor Take(Tensor host) => place is null ? host : place(host);

    public Tensor? TakeOptional(Tensor? host) => host is null ? null : Take(host);

    /// <summary>Layer <paramref name="index"/> of <paramref name="count"/>, placed.</summary>
    public LayerWeights TakeLayer(int index, int count, LayerWeights layer)
    {
        var placed = place is null ? layer : layer.Map(place);
        progress?.Invoke(index + 1, count);
        return placed;
    }

    /// <summary>Whole weights read by a loader that does not stream (small formats), placed at once.</summary>
    public TransformerWeights TakeAll(TransformerWeights weights)
    {
        var placed = place is null ? weights : weights.Map(place);
        progress?.Invoke(weights.Layers.Count, weights.Layers.Count);
        return placed;
    }
}
