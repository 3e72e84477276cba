using System.Runtime.CompilerServices;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Reference;
using EdgePruning.Runtime;
using static EdgePruning.Tests.Kernels.KernelTensors;

namespace EdgePruning.Tests.Kernels;

/// <summary>
/// The worker pool under load: many threads calling the GEMM at once on odd shapes while the GC runs,
/// and a job whose chunk throws on the calling thread. These are the conditions of an intermittent
/// access violation in <c>DotProductGemm.Dot4x4</c> on a pool worker during <c>edgeprune eval</c>.
/// </summary>
public class CpuParallelHammerTests
{
    private const double GemmTolerance = 1e-5;

    /// <summary>
    /// Operands that only the kernel call refers to: if a kernel let go of its tensors before the workers
    /// were done, a collection would free (and the allocations below reuse) the memory they read.
    /// </summary>
    [Fact]
    public void ManyThreadsOnOddShapesWithCollections_EveryProductMatchesTheReference()
    {
        var kernels = new CpuKernels(Math.Max(2, Environment.ProcessorCount));
        var shapes = new (int M, int N, int K)[] { (5, 7, 3), (17, 33, 65), (3, 129, 2049), (67, 13, 2100), (4, 61, 19), (33, 9, 257), (129, 257, 1025) };
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var collector = new Thread(() =>
        {
            var keep = new List<float[]>();
            while (DateTime.UtcNow < stop)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                // Take the freed pinned memory back and fill it with NaN, so a stale read shows in the result.
                foreach (var (m, n, k) in shapes)
                {
                    var junk = GC.AllocateUninitializedArray<float>(Math.Max(m, n) * k, pinned: true);
                    junk.AsSpan().Fill(float.NaN);
                    keep.Add(junk);
                }
                if (keep.Count > 4 * shapes.Length) keep.Clear();
            }
        });
        var callers = Enumerable.Range(0, 6).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            try
            {
                while (DateTime.UtcNow < stop)
                {
                    var (m, n, k) = shapes[rng.Next(shapes.Length)];
                    var x = Random(rng, 1f, m, k);
                    var w = Random(rng, 1f, n, k);
                    var expected = Poisoned(m, n);
                    ReferenceKernels.Instance.Linear(x, w, null, expected);
                    var actual = LinearOnCopies(kernels, x, w, m, n);
                    double err = RelativeError(actual.Span, expected.Span);
                    if (!(err <= GemmTolerance)) failures.Enqueue($"{m}x{n}x{k}: relative error {err:E2}");
                }
            }
            catch (Exception e)
            {
                failures.Enqueue(e.GetType().Name + ": " + e.Message);
            }
        })).ToArray();
        collector.Start();
        foreach (var c in callers) c.Start();
        foreach (var c in callers) c.Join();
        collector.Join();
        Assert.True(failures.IsEmpty, string.Join("; ", failures.Take(5)));
    }

    /// <summary>The operands are copies that nothing but the kernel call refers to.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor LinearOnCopies(CpuKernels kernels, Tensor x, Tensor w, int m, int n)
    {
        var y = Poisoned(m, n);
        kernels.Linear(x.Clone(), w.Clone(), null, y);
        return y;
    }

    /// <summary>
    /// A chunk that throws on the calling thread must not let the call return while a worker still runs
    /// other chunks: their operands may be gone once it returns.
    /// </summary>
    [Fact]
    public void ChunkThrowsOnCaller_RunReturnsOnlyAfterEveryWorkerLeft()
    {
        // One core has no worker beside the caller: every chunk runs inline and there is nothing to race.
        if (Environment.ProcessorCount < 2) return;
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var job = new ThrowOnCallerJob(Environment.CurrentManagedThreadId);
            Assert.Throws<InvalidOperationException>(() => CpuParallel.Run(job, 64, 2));
            int runningAtReturn = Volatile.Read(ref job.Running);
            Assert.True(runningAtReturn == 0, $"attempt {attempt}: {runningAtReturn} chunk(s) still running on a worker after Run threw");
        }
    }

    private sealed class ThrowOnCallerJob(int callerThread) : ParallelJob
    {
        public int Running;

        public override void Run(int chunk)
        {
            if (Environment.CurrentManagedThreadId == callerThread)
            {
                // Let a worker pick up chunks first, so that one is mid-chunk when this throws.
                Thread.Sleep(5);
                throw new InvalidOperationException("chunk failed");
            }
            Interlocked.Increment(ref Running);
            Thread.Sleep(20);
            Interlocked.Decrement(ref Running);
        }
    }
}

/// <summary>A chunk that itself runs a parallel job (a kernel inside a kernel) on the thread that holds the pool.</summary>
public class CpuParallelNestingTests
{
    [Fact]
    public void JobStartedInsideAChunk_RunsEveryChunkOfBothJobsExactlyOnce()
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var outer = new NestingJob(64, inner: 16);
            CpuParallel.Run(outer, 64, Math.Max(2, Environment.ProcessorCount));
            Assert.All(outer.Runs, n => Assert.Equal(1, n));
            foreach (var inner in outer.Inner) Assert.All(inner.Runs, n => Assert.Equal(1, n));
        }
    }

    private sealed class CountingJob(int chunks) : ParallelJob
    {
        public readonly int[] Runs = new int[chunks];
        public override void Run(int chunk) => Interlocked.Increment(ref Runs[chunk]);
    }

    private sealed class NestingJob(int chunks, int inner) : ParallelJob
    {
        public readonly int[] Runs = new int[chunks];
        public readonly System.Collections.Concurrent.ConcurrentBag<CountingJob> Inner = [];

        public override void Run(int chunk)
        {
            Interlocked.Increment(ref Runs[chunk]);
            var job = new CountingJob(inner);
            Inner.Add(job);
            CpuParallel.Run(job, inner, Math.Max(2, Environment.ProcessorCount));
            Thread.SpinWait(200);
        }
    }
}
