using System.Diagnostics;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// A STREAM-like "copy" on the host: b = a over two 256 MiB f32 arrays, split across all cores, best of
/// <see cref="Repetitions"/> timed passes after one untimed pass, counted as 2 × 256 MiB (one read, one
/// write; STREAM's convention, which leaves out the write-allocate read of a plain store). The DRAM
/// bandwidth this machine reaches in practice: the peak the CPU masked-read figures are set against.
/// </summary>
public static class HostCopyBandwidth
{
    private const int Floats = 64 << 20;
    private const int Repetitions = 5;

    /// <summary>Bytes per second of the best pass.</summary>
    public static double Measure()
    {
        var a = new float[Floats];
        var b = new float[Floats];
        Array.Fill(a, 1f);
        int chunks = Environment.ProcessorCount;
        int per = (Floats + chunks - 1) / chunks;
        double best = double.MaxValue;
        for (int pass = 0; pass <= Repetitions; pass++)
        {
            long start = Stopwatch.GetTimestamp();
            Parallel.For(0, chunks, c =>
            {
                int from = c * per, count = Math.Min(per, Floats - from);
                a.AsSpan(from, count).CopyTo(b.AsSpan(from, count));
            });
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (pass > 0) best = Math.Min(best, seconds);
        }
        return 2.0 * sizeof(float) * Floats / best;
    }
}
