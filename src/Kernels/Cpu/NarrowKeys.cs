using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The keys of one (batch, KV head) transposed to [key dim, keys], for heads narrower than one vector (8 in a
/// 260K-parameter model): such a head has no whole vector along a key, so the attention kernels score 16 keys
/// at a time across keys instead. Each key's sum runs over the key's elements in order with a multiply and an
/// add per element, as <see cref="HeadRows.Dot"/> sums a narrow head, so the scores are the same bit for bit.
/// </summary>
internal static unsafe class NarrowKeys
{
    /// <summary>Whether a head of <paramref name="keyDim"/> is scored across keys.</summary>
    public static bool Fit(int keyDim) => keyDim < 16;

    /// <summary>The keys rounded up to whole vectors: the row length of the transposed keys and of the scores.</summary>
    public static int Padded(int keyCount) => (keyCount + 15) & ~15;

    /// <summary>keys[p·padded + s] = K[b, s, kvh, p] for the first <paramref name="keyCount"/> keys, zeros up to <paramref name="padded"/>.</summary>
    public static void Transpose(float* k, AttentionGeometry g, int b, int kvh, int keyCount, float* keys, int padded)
    {
        int dk = g.KeyDim;
        for (int s = 0; s < keyCount; s++)
        {
            float* key = k + g.KeyIndex(b, s, kvh);
            for (int p = 0; p < dk; p++) keys[(long)p * padded + s] = key[p];
        }
        for (int p = 0; p < dk; p++) new Span<float>(keys + (long)p * padded + keyCount, padded - keyCount).Clear();
    }

    /// <summary>raw[s] = Σ_p q[p]·keys[p, s] for the keys 0..last (raw holds <see cref="Padded"/> entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(float* q, float* keys, int padded, int dk, int last, float* raw)
    {
        for (int s = 0; s <= last; s += 16)
        {
            var acc = Vector512<float>.Zero;
            for (int p = 0; p < dk; p++) acc += Vector512.Create(q[p]) * Vector512.Load(keys + (long)p * padded + s);
            acc.Store(raw + s);
        }
    }
}
