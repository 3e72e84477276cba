namespace EdgePruning.Kernels;

/// <summary>
/// The uniform noise of hard-concrete masks from a counter-based hash, the host twin of random.cu's
/// random_mask_noise: value i of seed s depends on (s, i) only and is computed with integer operations and exact
/// f32 scalings, so a host fill and a device fill of the same seed hold the same bits. k = h[63:41] of
/// h = mix64(s·φ + i) picks one of 2²³ equal cells of (0, 1); u = (2k + 1)/2²⁴ is its centre, clamped to
/// [<see cref="Low"/>, <see cref="High"/>] as the reference draws U(eps, 1 − eps).
/// </summary>
public static class MaskNoise
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>The bounds of u: eps = 1e-6 of Edge Pruning's l0.py, in f32.</summary>
    public const float Low = 1e-6f, High = (float)(1 - 1e-6);

    /// <summary>Noise value number <paramref name="index"/> of <paramref name="seed"/>.</summary>
    public static float At(ulong seed, long index)
    {
        ulong h = RandomNormal.Mix(unchecked(seed * Golden + (ulong)index));
        float v = (2u * (uint)(h >> 41) + 1u) * (1f / 16777216f);
        return v < Low ? Low : v > High ? High : v;
    }

    /// <summary>u[i] = At(seed, i).</summary>
    public static void Fill(Span<float> u, ulong seed)
    {
        for (int i = 0; i < u.Length; i++) u[i] = At(seed, i);
    }
}
