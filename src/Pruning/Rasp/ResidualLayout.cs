namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// Names every residual dimension: <c>one</c> (set at every position by the token embedding, the MLPs'
/// bias), <c>tokens:v</c> for each token and <c>tokens:BOS</c>, <c>indices:i</c>, then each categorical
/// s-op's <c>label:value</c> dimensions and each numerical s-op's single <c>label</c> dimension, and one
/// hidden dimension per selector width (its attention output, 1/(width+1)).
/// </summary>
public sealed class ResidualLayout
{
    public const string One = "one";
    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Names => _names;
    public int Dim => _names.Count;

    public int Add(string name)
    {
        if (_index.ContainsKey(name)) throw new InvalidOperationException($"residual dimension '{name}' is defined twice");
        _index[name] = _names.Count;
        _names.Add(name);
        return _names.Count - 1;
    }

    public int this[string name] => _index.TryGetValue(name, out int i) ? i
        : throw new KeyNotFoundException($"no residual dimension '{name}'");

    public static string Of(SOp sop, object value) => $"{sop.Label}:{RaspValues.Name(value)}";
    public static string Of(SOp sop) => sop.Label;
    public static string WidthHidden(SelectorWidthSOp sop) => sop.Label + ":attn";
    public static string Bos => "tokens:" + RaspCompiler.Bos;
}
