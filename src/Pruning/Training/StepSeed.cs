namespace EdgePruning.Pruning.Training;

/// <summary>
/// Seeds derived from (run seed, step, stream) with SplitMix64, identical in every process (unlike
/// HashCode, which .NET randomizes per process), so that runs repeat and resumed runs continue exactly.
/// </summary>
public static class StepSeed
{
    public static int Of(int seed, int step, int stream)
    {
        ulong x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)step << 20 ^ (ulong)(uint)stream << 42;
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (int)(x & 0x7FFFFFFF);
    }
}
