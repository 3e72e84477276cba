namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// What one stream operation does, as a 64-bit FNV-1a hash of its kind and every argument (addresses, sizes,
/// scalars' bits): two issues of an operation with equal signatures do the same thing.
/// </summary>
public struct OpSignature(string name)
{
    private const ulong Prime = 1099511628211UL;
    private ulong _hash = Start(name);

    public readonly string Name => name;
    public readonly ulong Value => _hash;

    public OpSignature Add(ulong value)
    {
        for (int i = 0; i < 8; i++)
        {
            _hash ^= (value >> (8 * i)) & 0xff;
            _hash *= Prime;
        }
        return this;
    }

    public OpSignature Add(long value) => Add(unchecked((ulong)value));
    public OpSignature Add(int value) => Add(unchecked((ulong)(uint)value));
    public OpSignature Add(float value) => Add(BitConverter.SingleToUInt32Bits(value));
    public OpSignature Add(bool value) => Add(value ? 1UL : 0UL);

    private static ulong Start(string name)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in name)
        {
            hash ^= c;
            hash *= Prime;
        }
        return hash;
    }
}
