using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The numbers <c>new System.Random(seed).NextDouble()</c> returns, bit for bit, drawn in parallel: .NET keeps
/// the seeded generator (Knuth's subtractive one) unchanged for compatibility, so this reimplements it and
/// adds a jump ahead (<see cref="SubtractiveJump"/>). Chunks of the stream start at fixed positions and each is
/// computed alone, so the numbers are the same whatever the thread count; the noise of a training step drawn
/// this way is the noise its sequential <see cref="System.Random"/> drew, and runs keep their circuits.
/// Past its first 55 numbers the stream is x[n] = x[n−55] − x[n−34] mod 2³¹−1, which 8 lanes compute at once.
/// </summary>
public sealed unsafe class SubtractiveStream
{
    private const int Order = SubtractiveJump.Order;
    private const int M = int.MaxValue;
    private const double Scale = 1.0 / int.MaxValue;
    /// <summary>Numbers per parallel chunk; chunks start at multiples of it.</summary>
    private const int ChunkLength = 1 << 16;
    /// <summary>Numbers generated per block on the stack.</summary>
    private const int Block = 2048;

    private static readonly List<uint[]> ChunkJumps = [];
    private static readonly uint[] ChunkStride = SubtractiveJump.Power(ChunkLength);

    private readonly int _seed;
    /// <summary>x[0..54]; null when one of them falls outside [0, M) (the recurrence is then not linear and
    /// the stream is drawn one number at a time, as System.Random draws it).</summary>
    private readonly int[]? _head;

    public SubtractiveStream(int seed)
    {
        _seed = seed;
        var state = Seeded(seed);
        int inext = 0, inextp = 21;
        var head = new int[Order];
        bool linear = true;
        for (int i = 0; i < Order; i++)
        {
            head[i] = Next(state, ref inext, ref inextp);
            linear &= (uint)head[i] < M;
        }
        _head = linear ? head : null;
    }

    /// <summary>
    /// destination[i] = (float)(offset + scale·d[start + i]) where d[n] is the stream's n-th NextDouble, in double
    /// arithmetic, on at most <paramref name="maxThreads"/> threads.
    /// </summary>
    public void FillUniform(long start, Span<float> destination, double offset, double scale, int maxThreads = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (destination.IsEmpty) return;
        fixed (float* d = destination)
        {
            if (_head is null)
            {
                Sequential(start, d, destination.Length, offset, scale);
                return;
            }
            long end = start + destination.Length;
            long firstChunk = start / ChunkLength, lastChunk = (end - 1) / ChunkLength;
            int chunks = (int)(lastChunk - firstChunk + 1);
            EnsureChunkJumps((int)lastChunk);
            var job = Job.ForThisThread;
            job.Stream = this; job.Start = start; job.End = end; job.FirstChunk = firstChunk;
            job.Destination = d; job.Offset = offset; job.Scale = scale;
            if (chunks == 1) job.Run(0);
            else CpuParallel.Run(job, chunks, maxThreads);
        }
    }

    /// <summary>Writes positions [from, to) of the stream, offset by the fill's start, into dest.</summary>
    private void Piece(long from, long to, long fillStart, float* dest, double offset, double scale, uint[]? jump)
    {
        var head = _head!;
        int* window = stackalloc int[Order + Block];
        long p = from;
        if (p < Order)
        {
            for (; p < Math.Min(to, Order); p++) dest[p - fillStart] = (float)(offset + scale * (head[p] * Scale));
            if (p == to) return;
            for (int i = 0; i < Order; i++) window[i] = head[i];
        }
        else
        {
            // x[p−55 .. p−1], each the combination of the head that X^(p−55+j) mod f gives.
            Span<uint> q = stackalloc uint[Order];
            (jump ?? SubtractiveJump.Power(p - Order)).CopyTo(q);
            for (int j = 0; j < Order; j++)
            {
                window[j] = SubtractiveJump.Combine(q, head);
                SubtractiveJump.TimesX(q);
            }
        }
        while (p < to)
        {
            int n = (int)Math.Min(Block, to - p);
            Recur(window, n);
            Convert(window + Order, dest + (p - fillStart), n, offset, scale);
            p += n;
            for (int i = 0; i < Order; i++) window[i] = window[n + i];
        }
    }

    /// <summary>w[55 + i] = w[i] − w[i + 21] mod M for i &lt; n: lanes up to 21 apart never depend on each other.</summary>
    private static void Recur(int* w, int n)
    {
        int i = 0;
        var modulus = Vector256.Create(M);
        for (; i + 8 <= n; i += 8)
        {
            var r = Vector256.Load(w + i) - Vector256.Load(w + i + SubtractiveJump.Tap);
            r += Vector256.ShiftRightArithmetic(r, 31) & modulus;
            r.Store(w + Order + i);
        }
        for (; i < n; i++)
        {
            int r = w[i] - w[i + SubtractiveJump.Tap];
            w[Order + i] = r < 0 ? r + M : r;
        }
    }

    /// <summary>dest[i] = (float)(offset + scale·(x[i]·(1/M))): the same double operations, in the same order, as one at a time.</summary>
    private static void Convert(int* x, float* dest, int n, double offset, double scale)
    {
        int i = 0;
        if (Avx.IsSupported)
        {
            var inverse = Vector256.Create(Scale);
            var vOffset = Vector256.Create(offset);
            var vScale = Vector256.Create(scale);
            for (; i + 4 <= n; i += 4)
            {
                var d = Avx.ConvertToVector256Double(Sse2.LoadVector128(x + i));
                var u = Avx.Add(vOffset, Avx.Multiply(vScale, Avx.Multiply(d, inverse)));
                Sse.Store(dest + i, Avx.ConvertToVector128Single(u));
            }
        }
        for (; i < n; i++) dest[i] = (float)(offset + scale * (x[i] * Scale));
    }

    /// <summary>The fallback: System.Random's own sequence, number by number from the seed.</summary>
    private void Sequential(long start, float* dest, int length, double offset, double scale)
    {
        var state = Seeded(_seed);
        int inext = 0, inextp = 21;
        for (long i = 0; i < start; i++) Next(state, ref inext, ref inextp);
        for (int i = 0; i < length; i++) dest[i] = (float)(offset + scale * (Next(state, ref inext, ref inextp) * Scale));
    }

    /// <summary>System.Random(seed)'s table: Knuth's subtractive generator seeded as .NET seeds it (integer overflow wraps).</summary>
    private static int[] Seeded(int seed)
    {
        unchecked
        {
            var table = new int[56];
            int subtraction = seed == int.MinValue ? int.MaxValue : Math.Abs(seed);
            int mj = 161803398 - subtraction;
            table[55] = mj;
            int mk = 1, ii = 0;
            for (int i = 1; i < 55; i++)
            {
                if ((ii += 21) >= 55) ii -= 55;
                table[ii] = mk;
                mk = mj - mk;
                if (mk < 0) mk += M;
                mj = table[ii];
            }
            for (int k = 1; k < 5; k++)
            {
                for (int i = 1; i < 56; i++)
                {
                    int n = i + 30;
                    if (n >= 55) n -= 55;
                    table[i] -= table[1 + n];
                    if (table[i] < 0) table[i] += M;
                }
            }
            return table;
        }
    }

    private static int Next(int[] table, ref int inext, ref int inextp)
    {
        unchecked
        {
            if (++inext >= 56) inext = 1;
            if (++inextp >= 56) inextp = 1;
            int r = table[inext] - table[inextp];
            if (r == M) r--;
            if (r < 0) r += M;
            table[inext] = r;
            return r;
        }
    }

    /// <summary>Makes X^(c·ChunkLength − 55) mod f known for every chunk c ≤ last (c ≥ 1), once per process.</summary>
    private static void EnsureChunkJumps(int last)
    {
        lock (ChunkJumps)
        {
            if (ChunkJumps.Count == 0) ChunkJumps.Add([]); // chunk 0 starts at the head: no jump
            while (ChunkJumps.Count <= last)
            {
                int c = ChunkJumps.Count;
                ChunkJumps.Add(c == 1 ? SubtractiveJump.Power(ChunkLength - Order) : SubtractiveJump.Multiply(ChunkJumps[c - 1], ChunkStride));
            }
        }
    }

    private static uint[] ChunkJump(long chunk)
    {
        lock (ChunkJumps) return ChunkJumps[(int)chunk];
    }

    private sealed class Job : ParallelJob
    {
        [ThreadStatic] private static Job? t_job;
        public static Job ForThisThread => t_job ??= new();

        public SubtractiveStream Stream = null!;
        public long Start, End, FirstChunk;
        public float* Destination;
        public double Offset, Scale;

        public override void Run(int chunk)
        {
            long c = FirstChunk + chunk;
            long from = Math.Max(Start, c * ChunkLength), to = Math.Min(End, (c + 1) * ChunkLength);
            // A chunk entered at its own start uses its stored jump; the first one of a fill may start inside.
            uint[]? jump = from == c * ChunkLength && c > 0 ? ChunkJump(c) : null;
            Stream.Piece(from, to, Start, Destination, Offset, Scale, jump);
        }
    }
}
