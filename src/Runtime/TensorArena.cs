namespace EdgePruning.Runtime;

/// <summary>
/// Step-scoped scratch memory: tensors are carved out of a few large pinned blocks and all given back at
/// once by <see cref="Reset"/>. A training step allocates hundreds of intermediate tensors; taking them
/// from an arena instead of the GC avoids the page faults and full collections that fresh large pinned
/// arrays cause. A tensor from the arena is valid only until the next <see cref="Reset"/>.
/// </summary>
public sealed class TensorArena
{
    private const long Alignment = 64;
    private readonly long _blockBytes;
    private readonly List<ArrayStorage> _blocks = [];
    private int _block;
    private long _offset;
    private long _inUse;

    public TensorArena(long blockBytes = 64L << 20) => _blockBytes = blockBytes;

    /// <summary>Bytes held in blocks (the high-water mark of one step, after the first).</summary>
    public long CapacityBytes => _blocks.Sum(b => b.ByteLength);

    /// <summary>Bytes handed out since the last <see cref="Reset"/> (each tensor rounded up to the alignment).</summary>
    public long InUseBytes => _inUse;

    /// <summary>
    /// The most bytes ever handed out between two resets: what the step needed, without the room lost at
    /// the end of blocks (<see cref="CapacityBytes"/> includes that).
    /// </summary>
    public long HighWaterBytes { get; private set; }

    public void Reset()
    {
        _block = 0;
        _offset = 0;
        _inUse = 0;
    }

    /// <summary>Where the arena stands now: <see cref="Release"/> gives back everything handed out after it.</summary>
    public ArenaMark Mark() => new(_block, _offset, _inUse);

    /// <summary>
    /// Gives back the tensors handed out since <paramref name="mark"/> (nested scratch, e.g. one layer's tensors);
    /// they are invalid from now on, those handed out before it stay valid.
    /// </summary>
    public void Release(ArenaMark mark)
    {
        if (mark.InUse > _inUse) throw new InvalidOperationException("arena mark released after a reset or out of order");
        (_block, _offset, _inUse) = (mark.Block, mark.Offset, mark.InUse);
    }

    /// <summary>An uninitialized f32 tensor: every element must be written before it is read.</summary>
    public Tensor Empty(params int[] dims)
    {
        long bytes = new Shape(dims).Count * sizeof(float);
        long need = (bytes + Alignment - 1) / Alignment * Alignment;
        while (_block < _blocks.Count && _offset + need > _blocks[_block].ByteLength)
        {
            _block++;
            _offset = 0;
        }
        if (_block == _blocks.Count)
        {
            _blocks.Add(new ArrayStorage(Math.Max(_blockBytes, need), zeroed: false));
            _offset = 0;
        }
        var t = Tensor.Wrap(_blocks[_block], _offset, DType.F32, dims);
        _offset += need;
        _inUse += need;
        if (_inUse > HighWaterBytes) HighWaterBytes = _inUse;
        return t;
    }

    public Tensor Zeros(params int[] dims)
    {
        var t = Empty(dims);
        t.Span.Clear();
        return t;
    }
}

/// <summary>A position of a <see cref="TensorArena"/> (<see cref="TensorArena.Mark"/>).</summary>
public readonly record struct ArenaMark(int Block, long Offset, long InUse);
