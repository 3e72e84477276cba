namespace EdgePruning.Kernels;

/// <summary>An error message formatted only when its check fails.</summary>
[System.Runtime.CompilerServices.InterpolatedStringHandler]
internal ref struct ShapeMessage
{
    private System.Runtime.CompilerServices.DefaultInterpolatedStringHandler _inner;

    public ShapeMessage(int literalLength, int formattedCount, bool ok, out bool format)
    {
        format = !ok;
        _inner = format ? new(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string s) => _inner.AppendLiteral(s);
    public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
    public string ToStringAndClear() => _inner.ToStringAndClear();
}
