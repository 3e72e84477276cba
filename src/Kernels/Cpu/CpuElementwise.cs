using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgePruning.Kernels.Cpu;

/// <summary>An elementwise map of one operand, written once for a vector of 16 lanes.</summary>
internal interface IUnaryOperator
{
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An elementwise map of two operands, written once for a vector of 16 lanes.</summary>
internal interface IBinaryOperator
{
    static abstract Vector512<float> Invoke(Vector512<float> a, Vector512<float> b);
}

internal readonly struct AddOperator : IBinaryOperator
{
    public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a + b;
}

/// <summary>
/// Loop drivers for elementwise kernels: whole vectors, then the ragged end through a 16-lane stack
/// buffer so every element takes the same code path. Each element is read before its output is written,
/// so y may be the same memory as an input. Large arrays are split into chunks over all cores.
/// </summary>
internal static unsafe class CpuElementwise
{
    /// <summary>Elements per parallel chunk (128 KiB of floats): small enough to balance, large enough to amortize dispatch.</summary>
    private const int ChunkSize = 32 * 1024;

    public static void Unary<TOp>(float* x, float* y, long count, int maxThreads) where TOp : struct, IUnaryOperator
    {
        if (count <= ChunkSize) { UnaryRange<TOp>(x, y, count); return; }
        var job = UnaryJob<TOp>.ForThisThread;
        job.X = x; job.Y = y; job.Count = count;
        CpuParallel.Run(job, (int)((count + ChunkSize - 1) / ChunkSize), maxThreads);
    }

    public static void Binary<TOp>(float* a, float* b, float* y, long count, int maxThreads) where TOp : struct, IBinaryOperator
    {
        if (count <= ChunkSize) { BinaryRange<TOp>(a, b, y, count); return; }
        var job = BinaryJob<TOp>.ForThisThread;
        job.A = a; job.B = b; job.Y = y; job.Count = count;
        CpuParallel.Run(job, (int)((count + ChunkSize - 1) / ChunkSize), maxThreads);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UnaryRange<TOp>(float* x, float* y, long count) where TOp : struct, IUnaryOperator
    {
        long i = 0;
        for (; i + 16 <= count; i += 16) Vector512.Store(TOp.Invoke(Vector512.Load(x + i)), y + i);
        int rest = (int)(count - i);
        if (rest == 0) return;
        float* buffer = stackalloc float[16];
        for (int r = 0; r < 16; r++) buffer[r] = r < rest ? x[i + r] : 0f;
        Vector512.Store(TOp.Invoke(Vector512.Load(buffer)), buffer);
        for (int r = 0; r < rest; r++) y[i + r] = buffer[r];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BinaryRange<TOp>(float* a, float* b, float* y, long count) where TOp : struct, IBinaryOperator
    {
        long i = 0;
        for (; i + 16 <= count; i += 16) Vector512.Store(TOp.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)), y + i);
        int rest = (int)(count - i);
        if (rest == 0) return;
        float* bufA = stackalloc float[16];
        float* bufB = stackalloc float[16];
        for (int r = 0; r < 16; r++)
        {
            bufA[r] = r < rest ? a[i + r] : 0f;
            bufB[r] = r < rest ? b[i + r] : 0f;
        }
        Vector512.Store(TOp.Invoke(Vector512.Load(bufA), Vector512.Load(bufB)), bufA);
        for (int r = 0; r < rest; r++) y[i + r] = bufA[r];
    }

    private sealed class UnaryJob<TOp> : ParallelJob where TOp : struct, IUnaryOperator
    {
        [ThreadStatic] private static UnaryJob<TOp>? t_job;
        public static UnaryJob<TOp> ForThisThread => t_job ??= new();

        public float* X, Y;
        public long Count;

        public override void Run(int chunk)
        {
            long start = (long)chunk * ChunkSize;
            UnaryRange<TOp>(X + start, Y + start, Math.Min(ChunkSize, Count - start));
        }
    }

    private sealed class BinaryJob<TOp> : ParallelJob where TOp : struct, IBinaryOperator
    {
        [ThreadStatic] private static BinaryJob<TOp>? t_job;
        public static BinaryJob<TOp> ForThisThread => t_job ??= new();

        public float* A, B, Y;
        public long Count;

        public override void Run(int chunk)
        {
            long start = (long)chunk * ChunkSize;
            BinaryRange<TOp>(A + start, B + start, Y + start, Math.Min(ChunkSize, Count - start));
        }
    }
}
