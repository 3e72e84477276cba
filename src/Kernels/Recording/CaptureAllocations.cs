using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// The tensors a captured piece of work allocated, in order. Under capture each comes from one scope the
/// captured work owns, and stays until the work is disposed (a scope the work closes gives nothing back, since
/// the graph still reads and writes its tensors). While the work is fed, the n-th allocation hands back the
/// n-th captured tensor, after checking it asks for the same dtype and shape.
/// </summary>
internal sealed class CaptureAllocations(ITensorScope owner) : IDisposable
{
    private readonly List<Tensor> _tensors = [];
    private int _cursor = -1;

    public int Count => _tensors.Count;

    /// <summary>Starts handing back the captured tensors from the first.</summary>
    public void StartFeed() => _cursor = 0;

    /// <summary>Stops feeding; returns how many allocations were fed.</summary>
    public int EndFeed()
    {
        int fed = _cursor;
        _cursor = -1;
        return fed;
    }

    public Tensor Empty(DType dtype, int[] dims)
    {
        if (_cursor < 0)
        {
            var t = owner.Empty(dtype, dims);
            _tensors.Add(t);
            return t;
        }
        var shape = new Shape(dims);
        if (_cursor >= _tensors.Count)
            throw new CaptureMismatchException($"allocation {_cursor}: {shape} {dtype.Name()} here, none in the captured work ({_tensors.Count} allocations)");
        var captured = _tensors[_cursor];
        if (captured.DType != dtype || !captured.Shape.Equals(shape))
            throw new CaptureMismatchException($"allocation {_cursor}: {shape} {dtype.Name()} here, {captured.Shape} {captured.DType.Name()} in the captured work");
        _cursor++;
        return captured;
    }

    /// <summary>A scope whose tensors are allocations of this log; closing it gives nothing back.</summary>
    public ITensorScope Scope() => new LoggedScope(this);

    public void Dispose() => owner.Dispose();

    private sealed class LoggedScope(CaptureAllocations log) : ITensorScope
    {
        public Tensor Empty(DType dtype, params int[] dims) => log.Empty(dtype, dims);
        public void Dispose() { }
    }
}
