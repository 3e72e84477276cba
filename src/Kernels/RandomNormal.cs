namespace EdgePruning.Kernels;

/// <summary>
/// Seeded normal values from a counter-based hash, the host twin of kernels-cu/random.cu: value i of seed s
/// depends on (s, i) only, so a host fill and a device fill of the same seed hold the same values (up to the
/// device's logf/cosf, within a few ulp). Box–Muller on two 24-bit uniforms taken from one 64-bit hash.
/// </summary>
public static class RandomNormal
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The standard normal value number <paramref name="index"/> of <paramref name="seed"/>.</summary>
    public static float At(ulong seed, long index)
    {
        ulong h = Mix(unchecked(seed * Golden + (ulong)index));
        float u1 = ((h >> 40) + 1f) * (1f / 16777216f);
        float u2 = ((h >> 16) & 0xFFFFFFUL) * (1f / 16777216f);
        return MathF.Sqrt(-2f * MathF.Log(u1)) * MathF.Cos(6.28318530718f * u2);
    }

    /// <summary>values[i] = std·At(seed, i).</summary>
    public static void Fill(Span<float> values, float std, ulong seed)
    {
        for (int i = 0; i < values.Length; i++) values[i] = std * At(seed, i);
    }

    internal static ulong Mix(ulong z)
    {
        unchecked
        {
            z += Golden;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
