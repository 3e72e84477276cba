namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// Puts every operation in the earliest sublayer after its inputs. Sublayer 2L is layer L's attention,
/// 2L+1 its MLP; the embeddings are sublayer −1. Aggregates are attention, maps MLPs, and a selector
/// width takes an attention sublayer and the MLP right after it.
/// </summary>
public static class LayerAllocator
{
    /// <summary>The sublayer that writes each s-op (for a selector width: its MLP's).</summary>
    public static Dictionary<SOp, int> Allocate(IReadOnlyList<SOp> order)
    {
        var at = new Dictionary<SOp, int>(ReferenceEqualityComparer.Instance);
        foreach (var sop in order)
        {
            int ready = sop.Inputs.Count == 0 ? -1 : sop.Inputs.Max(i => at[i]);
            at[sop] = sop switch
            {
                TokensSOp or IndicesSOp => -1,
                MapSOp or SequenceMapSOp => NextOfParity(ready, mlp: true),
                AggregateSOp => NextOfParity(ready, mlp: false),
                SelectorWidthSOp => NextOfParity(ready, mlp: false) + 1,
                _ => throw new ArgumentException($"unknown s-op {sop.GetType().Name}"),
            };
        }
        return at;
    }

    private static int NextOfParity(int after, bool mlp)
    {
        int s = after + 1;
        return (s % 2 == 1) == mlp ? s : s + 1;
    }

    /// <summary>Inputs before outputs, each s-op once (depth-first from the output).</summary>
    public static List<SOp> TopologicalOrder(SOp output)
    {
        var order = new List<SOp>();
        var seen = new HashSet<SOp>(ReferenceEqualityComparer.Instance);
        void Visit(SOp s)
        {
            if (!seen.Add(s)) return;
            foreach (var i in s.Inputs) Visit(i);
            order.Add(s);
        }
        Visit(Rasp.Tokens);
        Visit(Rasp.Indices);
        Visit(output);
        return order;
    }
}
