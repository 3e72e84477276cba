namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// The reference semantics of a RASP program on one input (without BOS): the value of every s-op at every
/// position. A categorical aggregate over an empty selection is null (none); a numerical one is 0.
/// </summary>
public sealed class RaspEvaluator
{
    private readonly IReadOnlyList<object> _tokens;
    private readonly Dictionary<SOp, object?[]> _memo = new(ReferenceEqualityComparer.Instance);

    public RaspEvaluator(IReadOnlyList<object> tokens) => _tokens = tokens;

    public static object?[] Evaluate(SOp program, IReadOnlyList<object> tokens) => new RaspEvaluator(tokens).Values(program);

    public object?[] Values(SOp sop)
    {
        if (_memo.TryGetValue(sop, out var known)) return known;
        int n = _tokens.Count;
        var result = new object?[n];
        switch (sop)
        {
            case TokensSOp:
                for (int i = 0; i < n; i++) result[i] = _tokens[i];
                break;
            case IndicesSOp:
                for (int i = 0; i < n; i++) result[i] = i;
                break;
            case MapSOp m:
                var input = Values(m.Input);
                for (int i = 0; i < n; i++) result[i] = input[i] is { } x ? m.F(x) : null;
                break;
            case SequenceMapSOp s:
                var a = Values(s.A);
                var b = Values(s.B);
                for (int i = 0; i < n; i++) result[i] = a[i] is { } x && b[i] is { } y ? s.F(x, y) : null;
                break;
            case AggregateSOp g:
                var values = Values(g.Values);
                for (int q = 0; q < n; q++)
                {
                    var keys = SelectedKeys(g.Selector, q);
                    if (g.IsNumerical)
                        result[q] = keys.Count == 0 ? 0.0 : keys.Average(k => RaspValues.ToDouble(values[k] ?? 0.0));
                    else if (keys.Count == 1)
                        result[q] = values[keys[0]];
                    else if (keys.Count > 1)
                        throw new EdgePruning.Runtime.EdgePruningException(
                            $"categorical aggregate '{g.Label}' selects {keys.Count} keys at position {q}; it needs at most one");
                }
                break;
            case SelectorWidthSOp w:
                for (int q = 0; q < n; q++) result[q] = SelectedKeys(w.Selector, q).Count;
                break;
            default:
                throw new ArgumentException($"unknown s-op {sop.GetType().Name}", nameof(sop));
        }
        _memo[sop] = result;
        return result;
    }

    /// <summary>The key positions query position <paramref name="query"/> selects.</summary>
    public List<int> SelectedKeys(Selector selector, int query)
    {
        var keys = Values(selector.Keys);
        var queries = Values(selector.Queries);
        var selected = new List<int>();
        for (int k = 0; k < keys.Length; k++)
            if (selector.Selects(keys[k], queries[query])) selected.Add(k);
        return selected;
    }
}
