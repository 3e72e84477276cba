using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// Work split into numbered chunks. Kernels keep one instance per calling thread and refill its fields
/// on every call, so dispatching work allocates nothing.
/// </summary>
internal abstract class ParallelJob
{
    public abstract void Run(int chunk);
}

/// <summary>
/// A fixed pool of worker threads (one per core beside the caller) that run the chunks of one job at a
/// time together with the calling thread. Workers spin briefly after a job before they block, so the
/// back-to-back small kernels of token-by-token decoding do not pay a thread wake-up each. A call that
/// finds the pool busy (another thread's job) runs its chunks inline instead of waiting.
/// </summary>
internal static class CpuParallel
{
    private static readonly object Gate = new();
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs
    private static Worker[]? _workers;
    private static ParallelJob? _job;
    private static int _chunkCount;
    private static int _nextChunk;
    private static long _ticket;
    private static long _openTicket;
    private static int _active;
    private static Exception? _failure;
    /// <summary>True on a thread that is running chunks of a job (the caller or a worker).</summary>
    [ThreadStatic] private static bool t_inJob;

    /// <summary>Runs <paramref name="job"/> for chunks 0..chunks−1 on at most <paramref name="maxThreads"/> threads.</summary>
    public static void Run(ParallelJob job, int chunks, int maxThreads)
    {
        if (chunks <= 0) return;
        int threads = Math.Min(Math.Min(maxThreads, Environment.ProcessorCount), chunks);
        // A job started from inside a chunk runs inline: the Gate is re-entrant, so on the thread that holds
        // it the nested job would replace the running one's chunk counter under the workers' feet.
        if (threads <= 1 || t_inJob || !Monitor.TryEnter(Gate))
        {
            for (int c = 0; c < chunks; c++) job.Run(c);
            return;
        }
        try
        {
            var workers = _workers ??= StartWorkers();
            int helpers = Math.Min(threads - 1, workers.Length);
            _job = job;
            _chunkCount = chunks;
            _nextChunk = 0;
            _failure = null;
            long ticket = ++_ticket;
            Volatile.Write(ref _openTicket, ticket);
            for (int i = 0; i < helpers; i++) workers[i].Wake(ticket);
            try
            {
                Drain(job);
            }
            finally
            {
                // Also when a chunk of the caller threw: its operands (pinned buffers, the caller's tensors)
                // may be gone once this returns, so no worker may still be inside the job. Claim what is left
                // so that workers stop at their next chunk, close the job, then wait only for workers that
                // joined it: one that wakes late (descheduled on a busy machine) finds it closed.
                Volatile.Write(ref _nextChunk, int.MaxValue / 2);
                Interlocked.Exchange(ref _openTicket, 0);
                var spin = new SpinWait();
                while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
                _job = null;
            }
            if (_failure is { } failure) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void Drain(ParallelJob job)
    {
        int count = _chunkCount;
        int c;
        t_inJob = true;
        try
        {
            while ((c = Interlocked.Increment(ref _nextChunk) - 1) < count) job.Run(c);
        }
        finally
        {
            t_inJob = false;
        }
    }

    /// <summary>A worker's part of job <paramref name="ticket"/>, if that job is still open.</summary>
    private static void Join(long ticket)
    {
        Interlocked.Increment(ref _active);
        try
        {
            // Announced as active before looking: the caller closes and then counts, so either it
            // waits for this worker or this worker sees the job closed.
            if (Volatile.Read(ref _openTicket) == ticket) Drain(_job!);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private static Worker[] StartWorkers()
    {
        var workers = new Worker[Math.Max(0, Environment.ProcessorCount - 1)];
        for (int i = 0; i < workers.Length; i++)
        {
            var w = workers[i] = new Worker();
            new Thread(w.Loop) { IsBackground = true, Name = $"EdgePruning CPU kernel worker {i + 1}" }.Start();
        }
        return workers;
    }

    private sealed class Worker
    {
        private long _ticket;
        private int _sleeping;
        private readonly SemaphoreSlim _signal = new(0);

        public void Wake(long ticket)
        {
            Volatile.Write(ref _ticket, ticket);
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _signal.Release();
        }

        public void Loop()
        {
            long seen = 0;
            while (true)
            {
                long deadline = Stopwatch.GetTimestamp() + SpinTicks;
                long ticket;
                while ((ticket = Volatile.Read(ref _ticket)) == seen)
                {
                    if (Stopwatch.GetTimestamp() < deadline) { Thread.SpinWait(8); continue; }
                    // Announce the sleep, then look again: Wake either sees the flag or we see its ticket.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _ticket) == seen || Interlocked.Exchange(ref _sleeping, 0) == 0)
                        _signal.Wait();
                    deadline = Stopwatch.GetTimestamp() + SpinTicks;
                }
                seen = ticket;
                Join(ticket);
            }
        }
    }
}
