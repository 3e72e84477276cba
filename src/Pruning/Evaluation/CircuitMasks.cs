using EdgePruning.Autodiff.Ops;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Evaluation;

/// <summary>
/// The final, deterministic masks of a run: the evaluation rule of the hard concrete per parameter
/// tensor (each layer's Q, K, V and MLP blocks, and the readout; for nodes each layer's heads [H], each
/// MLP [1] and each embedding [1], as the reference's attn_write/mlp_write/token/position log α), then one
/// global threshold τ for edges (and one for nodes) found by bisection to the target sparsity (default: the
/// soft masks' own sparsity). An edge is kept when its mask passes τ and its writer's node mask does.
/// </summary>
public sealed class CircuitMasks
{
    public required float[] EdgeSoft { get; init; }
    public required float[] NodeSoft { get; init; }
    public required bool[] EdgeKept { get; init; }
    public required bool[] NodeKept { get; init; }
    public required double EdgeThreshold { get; init; }
    public long KeptEdges => EdgeKept.LongCount(k => k);
    public double EdgeSparsity => 1.0 - (double)KeptEdges / EdgeKept.Length;
    /// <summary>The soft masks' own sparsity, 1 − their mean: where a binarization without a target cuts.</summary>
    public double SoftSparsity => SoftSparsityOf(EdgeSoft);

    private static double SoftSparsityOf(float[] soft) => 1.0 - soft.Average(v => (double)v);

    public static CircuitMasks From(MaskLayout layout, MaskState state, bool nodeMasks, double? targetSparsity = null)
    {
        var soft = new float[state.EdgeLogAlpha.Length];
        foreach (var (start, length) in ParameterTensors(layout))
            HardConcreteEval.Mask(state.EdgeLogAlpha.AsSpan(start, length), soft.AsSpan(start, length));
        double target = targetSparsity ?? SoftSparsityOf(soft);
        double tau = HardConcreteEval.Threshold(soft, Math.Clamp(target, 0, 1));

        int W = state.NodeLogAlpha.Length;
        var nodeSoft = new float[W];
        var nodeKept = new bool[W];
        if (nodeMasks)
        {
            foreach (var (start, length) in NodeParameterTensors(layout))
                HardConcreteEval.Mask(state.NodeLogAlpha.AsSpan(start, length), nodeSoft.AsSpan(start, length));
            double nodeTau = HardConcreteEval.Threshold(nodeSoft, Math.Clamp(SoftSparsityOf(nodeSoft), 0, 1));
            for (int w = 0; w < W; w++) nodeKept[w] = nodeSoft[w] > nodeTau;
        }
        else
        {
            Array.Fill(nodeSoft, 1f);
            Array.Fill(nodeKept, true);
        }
        var kept = new bool[soft.Length];
        for (long e = 0; e < soft.Length; e++)
        {
            var (_, writer) = layout.Locate(e);
            kept[e] = soft[e] > tau && nodeKept[writer];
        }
        return new CircuitMasks { EdgeSoft = soft, NodeSoft = nodeSoft, EdgeKept = kept, NodeKept = nodeKept, EdgeThreshold = tau };
    }

    /// <summary>The masks of a circuit read from a file: its kept edges, every writer left on.</summary>
    public static CircuitMasks FromCircuit(MaskLayout layout, Circuits.Circuit circuit)
    {
        var kept2d = circuit.KeptMatrix(layout.Graph);
        var masks2d = circuit.MaskMatrix(layout.Graph);
        var kept = new bool[layout.EdgeCount];
        var soft = new float[layout.EdgeCount];
        for (int r = 0; r < kept2d.Length; r++)
            for (int w = 0; w < kept2d[r].Length; w++)
            {
                kept[layout.Offset(r) + w] = kept2d[r][w];
                soft[layout.Offset(r) + w] = (float)masks2d[r][w];
            }
        int writers = layout.Graph.Writers.Count;
        return new CircuitMasks
        {
            EdgeSoft = soft, EdgeKept = kept, EdgeThreshold = double.NaN,
            NodeSoft = Enumerable.Repeat(1f, writers).ToArray(), NodeKept = Enumerable.Repeat(true, writers).ToArray(),
        };
    }

    /// <summary>The edges and nodes both circuits keep (each edge's mask value the smaller of the two).</summary>
    public CircuitMasks Intersect(CircuitMasks other)
    {
        if (other.EdgeKept.Length != EdgeKept.Length || other.NodeKept.Length != NodeKept.Length)
            throw new ArgumentException($"masks of {EdgeKept.Length} and {other.EdgeKept.Length} edges belong to different graphs", nameof(other));
        return new CircuitMasks
        {
            EdgeSoft = EdgeSoft.Zip(other.EdgeSoft, Math.Min).ToArray(),
            EdgeKept = EdgeKept.Zip(other.EdgeKept, (a, b) => a && b).ToArray(),
            NodeSoft = NodeSoft.Zip(other.NodeSoft, Math.Min).ToArray(),
            NodeKept = NodeKept.Zip(other.NodeKept, (a, b) => a && b).ToArray(),
            EdgeThreshold = double.NaN,
        };
    }

    /// <summary>The empty circuit of <paramref name="layout"/>: no edge kept, every writer left on.</summary>
    public static CircuitMasks Empty(MaskLayout layout)
    {
        int writers = layout.Graph.Writers.Count;
        return new CircuitMasks
        {
            EdgeSoft = new float[layout.EdgeCount], EdgeKept = new bool[layout.EdgeCount], EdgeThreshold = double.NaN,
            NodeSoft = Enumerable.Repeat(1f, writers).ToArray(), NodeKept = Enumerable.Repeat(true, writers).ToArray(),
        };
    }

    /// <summary>Binary edge masks (1 kept, 0 removed) for the masked forward.</summary>
    public Tensor EdgeTensor()
    {
        var t = Tensor.Zeros(EdgeKept.Length);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = EdgeKept[i] ? 1f : 0f;
        return t;
    }

    /// <summary>
    /// The writer ranges of the reference's node-mask tensors: each embedding writer alone ([1] each), then per
    /// layer its heads ([H]) and its MLP ([1]). The evaluation rule's n0 = round(Σ P(z=0)) is taken per range,
    /// so a lone MLP or embedding whose P(z=0) passes ½ is zeroed whatever the other writers do.
    /// </summary>
    public static IEnumerable<(int Start, int Length)> NodeParameterTensors(MaskLayout layout)
    {
        var g = layout.Graph;
        for (int e = 0; e < g.EmbeddingNodes; e++) yield return (e, 1);
        for (int l = 0; l < g.Config.Layers; l++)
        {
            yield return (g.HeadWriter(l, 0), g.Config.Heads);
            yield return (g.MlpWriter(l), 1);
        }
    }

    /// <summary>The flat ranges of the reference's parameter tensors: per layer Q, K, V and MLP, then the readout.</summary>
    public static IEnumerable<(int Start, int Length)> ParameterTensors(MaskLayout layout)
    {
        var c = layout.Graph.Config;
        int H = c.Heads, KV = c.EffectiveKvHeads;
        for (int l = 0; l < c.Layers; l++)
        {
            int first = layout.FirstAttentionReader(l);
            foreach (var (a, b) in new[] { (first, first + H), (first + H, first + H + KV), (first + H + KV, first + H + 2 * KV) })
                yield return ((int)layout.Offset(a), (int)(layout.Offset(b) - layout.Offset(a)));
            int m = layout.MlpReader(l);
            yield return ((int)layout.Offset(m), (int)(layout.Offset(m + 1) - layout.Offset(m)));
        }
        int f = layout.LogitsReader;
        yield return ((int)layout.Offset(f), (int)(layout.EdgeCount - layout.Offset(f)));
    }
}
