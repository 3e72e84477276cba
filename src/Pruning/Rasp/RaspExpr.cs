namespace EdgePruning.Pruning.Rasp;

/// <summary>How an s-op's value lives in the residual stream: one dimension per value, or one number.</summary>
public enum RaspEncoding
{
    Categorical,
    Numerical,
}

/// <summary>Select predicates, read as <c>predicate(key, query)</c> as in RASP and Tracr.</summary>
public enum Comparison
{
    Eq,
    Neq,
    Lt,
    Leq,
    Gt,
    Geq,
    True,
    False,
}

/// <summary>
/// A sequence operation: a value at every position. Values are plain objects (strings, ints, doubles);
/// numerical s-ops always hold doubles. Identity is by reference, so one s-op used twice is one node.
/// </summary>
public abstract class SOp
{
    private static int _next;
    private string? _label;

    protected SOp(RaspEncoding encoding) => Encoding = encoding;

    public RaspEncoding Encoding { get; }
    public bool IsNumerical => Encoding == RaspEncoding.Numerical;

    /// <summary>The residual-space name of this s-op (<c>tokens</c>, <c>indices</c>, or the given/generated label).</summary>
    public string Label => _label ??= $"{DefaultPrefix}_{Interlocked.Increment(ref _next)}";

    protected abstract string DefaultPrefix { get; }

    /// <summary>The s-ops this one reads (through its selector for aggregates and selector widths).</summary>
    public abstract IReadOnlyList<SOp> Inputs { get; }

    public SOp Named(string label)
    {
        _label = label;
        return this;
    }

    public override string ToString() => Label;
}

public sealed class TokensSOp : SOp
{
    internal TokensSOp() : base(RaspEncoding.Categorical) => Named("tokens");
    protected override string DefaultPrefix => "tokens";
    public override IReadOnlyList<SOp> Inputs => [];
}

public sealed class IndicesSOp : SOp
{
    internal IndicesSOp() : base(RaspEncoding.Categorical) => Named("indices");
    protected override string DefaultPrefix => "indices";
    public override IReadOnlyList<SOp> Inputs => [];
}

/// <summary>Element-wise function of one s-op (compiled to an MLP).</summary>
public sealed class MapSOp(SOp input, Func<object, object> f, RaspEncoding encoding) : SOp(encoding)
{
    public SOp Input { get; } = input;
    public Func<object, object> F { get; } = f;
    protected override string DefaultPrefix => "map";
    public override IReadOnlyList<SOp> Inputs => [Input];
}

/// <summary>Element-wise function of two categorical s-ops (compiled to an MLP with a hidden unit per pair).</summary>
public sealed class SequenceMapSOp(SOp a, SOp b, Func<object, object, object> f, RaspEncoding encoding) : SOp(encoding)
{
    public SOp A { get; } = a;
    public SOp B { get; } = b;
    public Func<object, object, object> F { get; } = f;
    protected override string DefaultPrefix => "sequence_map";
    public override IReadOnlyList<SOp> Inputs => [A, B];
}

/// <summary>An attention pattern: query position q attends key position k when predicate(keys[k], queries[q]).</summary>
public sealed class Selector(SOp keys, SOp queries, Comparison predicate)
{
    public SOp Keys { get; } = keys;
    public SOp Queries { get; } = queries;
    public Comparison Predicate { get; } = predicate;

    public bool Selects(object? key, object? query) => key is not null && query is not null && Predicate switch
    {
        Comparison.True => true,
        Comparison.False => false,
        Comparison.Eq => RaspValues.Equal(key, query),
        Comparison.Neq => !RaspValues.Equal(key, query),
        Comparison.Lt => RaspValues.Compare(key, query) < 0,
        Comparison.Leq => RaspValues.Compare(key, query) <= 0,
        Comparison.Gt => RaspValues.Compare(key, query) > 0,
        Comparison.Geq => RaspValues.Compare(key, query) >= 0,
        _ => throw new ArgumentOutOfRangeException(nameof(Predicate)),
    };
}

/// <summary>
/// Mean of <see cref="Values"/> over the selected keys (compiled to one attention head). Categorical
/// aggregates need a selector that picks at most one key; numerical ones average; an empty selection
/// gives the default (none for categorical, 0 for numerical).
/// </summary>
public sealed class AggregateSOp(Selector selector, SOp values, RaspEncoding encoding) : SOp(encoding)
{
    public Selector Selector { get; } = selector;
    public SOp Values { get; } = values;
    protected override string DefaultPrefix => "aggregate";
    public override IReadOnlyList<SOp> Inputs => [Selector.Queries, Selector.Keys, Values];
}

/// <summary>How many keys each query selects (compiled to a head attending to BOS plus a decoding MLP).</summary>
public sealed class SelectorWidthSOp(Selector selector) : SOp(RaspEncoding.Categorical)
{
    public Selector Selector { get; } = selector;
    protected override string DefaultPrefix => "selector_width";
    public override IReadOnlyList<SOp> Inputs => [Selector.Queries, Selector.Keys];
}

/// <summary>The RASP vocabulary as functions: <c>Rasp.Map(Rasp.Tokens, x => ...)</c>.</summary>
public static class Rasp
{
    public static readonly TokensSOp Tokens = new();
    public static readonly IndicesSOp Indices = new();

    public static MapSOp Map(SOp input, Func<object, object> f) => new(input, f, RaspEncoding.Categorical);
    public static MapSOp NumericalMap(SOp input, Func<object, double> f) => new(input, x => f(x), RaspEncoding.Numerical);
    public static SequenceMapSOp SequenceMap(SOp a, SOp b, Func<object, object, object> f) => new(a, b, f, RaspEncoding.Categorical);
    public static Selector Select(SOp keys, SOp queries, Comparison predicate) => new(keys, queries, predicate);
    public static AggregateSOp Aggregate(Selector selector, SOp values) => new(selector, values, RaspEncoding.Categorical);
    public static AggregateSOp NumericalMean(Selector selector, SOp values) => new(selector, values, RaspEncoding.Numerical);
    public static SelectorWidthSOp SelectorWidth(Selector selector) => new(selector);
}
