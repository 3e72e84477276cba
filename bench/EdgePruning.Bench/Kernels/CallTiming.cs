using System.Diagnostics;

namespace EdgePruning.Bench.Kernels;

/// <summary>Seconds per call, median over samples: wall clock, and time the calling thread spent on a CPU.</summary>
internal readonly record struct CallTiming(double Wall, double OnCpu)
{
    /// <summary>
    /// Warm-up for ~0.2 s (at least <paramref name="warmCalls"/> calls), then <paramref name="runs"/> timed
    /// samples of ≥ ~1 ms of back-to-back calls each.
    /// </summary>
    public static CallTiming Measure(Action call, int runs, int warmCalls = 3)
    {
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < warmCalls || warm.Elapsed.TotalSeconds < 0.2; i++) call();
        var probe = Stopwatch.StartNew();
        call();
        int batch = Math.Max(1, (int)(1e-3 / Math.Max(probe.Elapsed.TotalSeconds, 1e-7)));
        var wall = new double[runs];
        var cpu = new double[runs];
        for (int r = 0; r < runs; r++)
        {
            long c0 = ThreadCpuNanoseconds();
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < batch; i++) call();
            wall[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / batch;
            cpu[r] = (ThreadCpuNanoseconds() - c0) * 1e-9 / batch;
        }
        Array.Sort(wall);
        Array.Sort(cpu);
        return new CallTiming(wall[runs / 2], cpu[runs / 2]);
    }

    /// <summary>Time the calling thread has run on a CPU (clock_gettime of the thread's CPU clock).</summary>
    public static long ThreadCpuNanoseconds()
    {
        const int ClockThreadCpuTimeId = 3;
        return clock_gettime(ClockThreadCpuTimeId, out var ts) == 0 ? ts.Seconds * 1_000_000_000 + ts.Nanoseconds : -1;
    }

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clockId, out TimeSpec time);
}
