namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// Piece bytes → token id: an open-addressing hash table whose keys are the pieces' bytes where they lie in the
/// tokenizer file, looked up by a byte span. Building it allocates two int arrays, not a string and a dictionary
/// entry per piece, so a 32,000-piece vocabulary is indexed in well under a millisecond. The first of two equal
/// pieces keeps the key (run.c finds pieces by binary search, so with duplicates any one may win).
/// </summary>
internal sealed class PieceIndex
{
    private readonly byte[] _data;
    private readonly int[] _start;
    private readonly int[] _length;
    /// <summary>id + 1 of the piece in each slot; 0 is an empty slot.</summary>
    private readonly int[] _slots;
    private readonly int _mask;

    public PieceIndex(byte[] data, int[] start, int[] length)
    {
        _data = data;
        _start = start;
        _length = length;
        int size = 16;
        while (size < 2 * start.Length) size *= 2;
        _slots = new int[size];
        _mask = size - 1;
        for (int id = 0; id < start.Length; id++)
        {
            var piece = Piece(id);
            int slot = Slot(piece, out bool found);
            if (!found) _slots[slot] = id + 1;
        }
    }

    public bool TryGet(ReadOnlySpan<byte> piece, out int id)
    {
        int slot = Slot(piece, out bool found);
        id = found ? _slots[slot] - 1 : -1;
        return found;
    }

    private ReadOnlySpan<byte> Piece(int id) => _data.AsSpan(_start[id], _length[id]);

    /// <summary>The slot holding <paramref name="piece"/>, or the empty slot where it would go.</summary>
    private int Slot(ReadOnlySpan<byte> piece, out bool found)
    {
        int slot = (int)(Hash(piece) & (uint)_mask);
        while (_slots[slot] != 0)
        {
            if (Piece(_slots[slot] - 1).SequenceEqual(piece))
            {
                found = true;
                return slot;
            }
            slot = (slot + 1) & _mask;
        }
        found = false;
        return slot;
    }

    /// <summary>FNV-1a, then a multiply that spreads its low bits.</summary>
    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        uint h = 2166136261;
        foreach (byte b in bytes) h = (h ^ b) * 16777619;
        return (h ^ (h >> 15)) * 0x2C1B3C6Du;
    }
}
