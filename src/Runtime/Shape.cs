namespace EdgePruning.Runtime;

/// <summary>Dimensions of a row-major contiguous tensor.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
        {
            if (d < 0) throw new ShapeException($"negative dimension in shape [{string.Join(", ", dims)}]");
        }
        _dims = (int[])dims.Clone();
        long n = 1;
        foreach (var d in _dims) n = checked(n * d);
        Count = n;
    }

    public int Rank => _dims.Length;
    public long Count { get; }
    public int this[int axis] => _dims[axis < 0 ? _dims.Length + axis : axis];
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Product of all dimensions but the last: the number of rows when the tensor is read as a matrix.</summary>
    public int Rows
    {
        get
        {
            long rows = 1;
            for (int i = 0; i < _dims.Length - 1; i++) rows *= _dims[i];
            return checked((int)rows);
        }
    }

    /// <summary>The last dimension (1 for a scalar).</summary>
    public int Cols => _dims.Length == 0 ? 1 : _dims[^1];

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _dims) + "]";
}
