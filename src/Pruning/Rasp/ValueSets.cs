using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// Every value each s-op can take on inputs of up to <c>maxLength</c> tokens from the vocabulary (Tracr's
/// basis inference): the residual stream gets one dimension per categorical value, and MLPs get one
/// hidden unit (or one step) per input value.
/// </summary>
public static class ValueSets
{
    public static Dictionary<SOp, List<object>> Infer(IReadOnlyList<SOp> order, IReadOnlyList<object> vocab, int maxLength)
    {
        var sets = new Dictionary<SOp, List<object>>(ReferenceEqualityComparer.Instance);
        foreach (var sop in order)
        {
            IEnumerable<object> values = sop switch
            {
                TokensSOp => vocab,
                IndicesSOp => Enumerable.Range(0, maxLength).Cast<object>(),
                MapSOp m => sets[m.Input].Select(m.F),
                SequenceMapSOp s => sets[s.A].SelectMany(x => sets[s.B].Select(y => s.F(x, y))),
                AggregateSOp { IsNumerical: true } g => Means(sets[g.Values], maxLength),
                AggregateSOp g => sets[g.Values],
                SelectorWidthSOp => Enumerable.Range(0, maxLength + 1).Cast<object>(),
                _ => throw new ArgumentException($"unknown s-op {sop.GetType().Name}"),
            };
            var list = RaspValues.SortedDistinct(sop.IsNumerical ? values.Select(v => (object)RaspValues.ToDouble(v)) : values);
            if (sop.IsNumerical && list.Any(v => !RaspValues.IsNumber(v)))
                throw new EdgePruningException($"numerical s-op '{sop.Label}' takes a non-numeric value");
            sets[sop] = list;
        }
        return sets;
    }

    /// <summary>The mean of every multiset of 1..maxLength values, and 0 (the empty selection).</summary>
    private static IEnumerable<object> Means(List<object> values, int maxLength)
    {
        var numbers = values.Select(RaspValues.ToDouble).ToArray();
        var sums = new HashSet<(int Count, double Sum)> { (0, 0) };
        var frontier = new HashSet<(int Count, double Sum)> { (0, 0) };
        for (int size = 1; size <= maxLength; size++)
        {
            var next = new HashSet<(int, double)>();
            foreach (var (c, s) in frontier)
                foreach (double v in numbers) next.Add((c + 1, Math.Round(s + v, 9)));
            frontier = next;
            sums.UnionWith(next);
        }
        yield return 0.0;
        foreach (var (c, s) in sums)
            if (c > 0) yield return s / c;
    }
}
