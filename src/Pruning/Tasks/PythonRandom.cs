namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// CPython's <c>random.Random</c> (MT19937) for the calls a published data script makes: seeding with an int,
/// <c>getrandbits</c> up to 32 bits, <c>randint</c>, <c>choice</c> and <c>shuffle</c>, each drawing exactly the
/// words CPython draws. With it a dataset the authors generated with Python's <c>random</c> is regenerated
/// here word for word instead of being shipped.
/// </summary>
internal sealed class PythonRandom
{
    private const int N = 624, M = 397;
    private const uint MatrixA = 0x9908b0df, UpperMask = 0x80000000, LowerMask = 0x7fffffff;

    private readonly uint[] _mt = new uint[N];
    private int _index = N;

    /// <summary><c>random.seed(seed)</c> for a non-negative int below 2³²: init_by_array with the one-word key.</summary>
    public PythonRandom(uint seed)
    {
        InitGenRand(19650218);
        uint[] key = [seed];
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++; j++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
            if (j >= key.Length) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
        }
        _mt[0] = 0x80000000;
    }

    private void InitGenRand(uint s)
    {
        _mt[0] = s;
        for (int i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    /// <summary>The next 32-bit output (genrand_uint32).</summary>
    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        return y ^ (y >> 18);
    }

    private void Twist()
    {
        for (int k = 0; k < N; k++)
        {
            uint y = (_mt[k] & UpperMask) | (_mt[(k + 1) % N] & LowerMask);
            _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? MatrixA : 0);
        }
        _index = 0;
    }

    /// <summary><c>getrandbits(k)</c> for 1 ≤ k ≤ 32: the top k bits of one word.</summary>
    public uint GetRandBits(int k)
    {
        if (k is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(k), k, "1 to 32 bits");
        return NextUInt32() >> (32 - k);
    }

    /// <summary><c>_randbelow(n)</c>: rejection sampling on n.bit_length() bits (one word drawn even for n = 1).</summary>
    public int RandBelow(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "must be positive");
        int k = 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)n);
        uint r = GetRandBits(k);
        while (r >= (uint)n) r = GetRandBits(k);
        return (int)r;
    }

    /// <summary><c>randint(a, b)</c>: a ≤ result ≤ b.</summary>
    public int RandInt(int a, int b) => a + RandBelow(b - a + 1);

    /// <summary><c>choice(items)</c>.</summary>
    public T Choice<T>(IReadOnlyList<T> items) => items[RandBelow(items.Count)];

    /// <summary><c>shuffle(items)</c> in place (Fisher–Yates from the end).</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = RandBelow(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
