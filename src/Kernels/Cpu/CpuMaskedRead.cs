using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The fused masked read and its backward (<see cref="IMaskedReadKernels"/>) on the CPU engine: f32, SIMD, all
/// cores. Same contract as <see cref="MaskedReadReference"/>, to which a call with a bf16 D, y, dY or dD is handed
/// (this engine computes in f32; in a bf16 run D is bf16, so every call there is the reference's); sums run in
/// f32, so results differ from the reference's in the last bits.
/// <para>
/// The work is split into blocks of consecutive tokens, one block per task, sized so that the block's x and dX
/// for every reader stay in a core's L2. D [U,N,d] holds the block's columns of every writer as rows of
/// tokens·d contiguous floats, so each block is a few products of <see cref="CpuGemm"/> on strided operands:
/// <code>
///   x  [R, B·d] = z [R,U]·D[:, block] + C[block]      (C as the bias of every row)
///   y, mean, rstd  per (reader, token) row of x        (dX from dY and the forward's mean and rstd)
///   dz partial of the block [R,U] = dX·D[:, block]ᵀ    dD[:, block] += zᵀ·dX    dC[block] += Σ_r dX[r]
/// </code>
/// x and dX never leave the cache. Under grouped masks z [G,R,U] (forward only) no block straddles two groups, and
/// each block's product takes its group's z. Each block owns its columns of dD and dC, and its dz partial is added in
/// block order after the parallel pass; the blocks do not depend on the thread count, so neither do the results.
/// </para>
/// <para>
/// The dz partials live in a buffer of this instance that grows to the largest call and is then reused (the
/// per-block x and dX are per-thread scratch), so a call allocates nothing. Not for concurrent callers.
/// </para>
/// </summary>
public sealed unsafe class CpuMaskedRead : IMaskedReadKernels
{
    /// <summary>Floats of one block's x (R·B·d): with its dX, 512 KiB, half of a Zen 4 core's L2.</summary>
    private const int BlockFloats = 64 * 1024;

    /// <summary>Blocks a call is split into at least, where it has the tokens: four per thread of a 16-core machine.</summary>
    private const int MinBlocks = 64;

    private readonly int _maxThreads;
    private readonly ForwardJob _forward = new();
    private readonly BackwardJob _backward = new();
    private float[] _dzPartials = [];

    /// <param name="maxThreads">Most threads one call may use (1 = the calling thread only).</param>
    public CpuMaskedRead(int maxThreads)
    {
        if (maxThreads < 1) throw new ArgumentOutOfRangeException(nameof(maxThreads), maxThreads, "at least one thread");
        _maxThreads = maxThreads;
    }

    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd)
    {
        if (stack.DType != DType.F32 || y.DType != DType.F32)
        {
            MaskedReadReference.Instance.Forward(z, stack, corrupted, norm, y, mean, rstd);
            return;
        }
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        MaskedReadChecks.Forward(s, norm, y, mean, rstd);
        var job = _forward;
        int blocks = job.Set(s, z, stack, corrupted, norm);
        job.Y = F32(y);
        job.Mean = mean is null ? null : F32(mean);
        job.Rstd = rstd is null ? null : F32(rstd);
        job.Beta = norm.Beta is null ? null : F32(norm.Beta);
        job.Rms = norm.Kind == MaskedReadNormKind.RmsNorm;
        job.Eps = norm.Eps;
        CpuParallel.Run(job, blocks, _maxThreads);
    }

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        if (stack.DType != DType.F32 || outputGrad.DType != DType.F32 || dStack is { DType: not DType.F32 })
        {
            MaskedReadReference.Instance.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
            return;
        }
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        MaskedReadChecks.Backward(s, z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
        if (dz is null && dStack is null && dCorrupted is null) return;
        var job = _backward;
        int blocks = job.Set(s, z, stack, corrupted, norm);
        int partial = s.Readers * s.Writers;
        bool sumDz = dz is not null && partial > 0;
        if (sumDz && _dzPartials.Length < (long)blocks * partial)
            _dzPartials = GC.AllocateUninitializedArray<float>(checked(blocks * partial), pinned: true);
        fixed (float* partials = _dzPartials)
        {
            job.DzPartials = sumDz ? partials : null;
            job.DY = F32(outputGrad);
            job.Mean = norm.Kind == MaskedReadNormKind.LayerNorm ? F32(mean!) : null;
            job.Rstd = F32(rstd);
            job.DStack = dStack is null ? null : F32(dStack);
            job.DCorrupted = dCorrupted is null ? null : F32(dCorrupted);
            CpuParallel.Run(job, blocks, _maxThreads);
            if (!sumDz) return;
            var target = dz!.Span;
            for (int b = 0; b < blocks; b++)
                TensorPrimitives.Add(target, new ReadOnlySpan<float>(partials + (long)b * partial, partial), target);
        }
    }

    private static float* F32(Tensor t) => (float*)t.Pointer;

    /// <summary>One block of tokens per chunk; the fields shared by the forward and the backward.</summary>
    private abstract class BlockJob : ParallelJob
    {
        public float* Z, Stack, Corrupted, Gamma;
        /// <summary>N·d: how far apart the rows of D (and dD) are.</summary>
        public int RowStride;
        public int Readers, Writers, Tokens, Dim, TokensPerBlock, TokensPerGroup, BlocksPerGroup;

        /// <summary>Takes the call's inputs; returns the number of blocks.</summary>
        public int Set(MaskedReadShape s, Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm)
        {
            Z = F32(z); Stack = F32(stack); Corrupted = F32(corrupted); Gamma = F32(norm.Gamma);
            Readers = s.Readers; Writers = s.Writers; Tokens = s.Tokens; Dim = s.Dim;
            RowStride = checked(s.Tokens * s.Dim);
            // As many tokens as fit the cache budget, but no fewer blocks than MinBlocks where there are tokens
            // for them. The split does not depend on the thread count, and so neither do the sums.
            int fit = Math.Max(1, BlockFloats / Math.Max(1, s.Readers * s.Dim));
            int spread = Math.Max(1, (s.Tokens + MinBlocks - 1) / MinBlocks);
            TokensPerGroup = s.TokensPerGroup;
            TokensPerBlock = Math.Min(Math.Min(fit, spread), Math.Max(1, TokensPerGroup));
            BlocksPerGroup = (TokensPerGroup + TokensPerBlock - 1) / TokensPerBlock;
            return s.Groups * BlocksPerGroup;
        }

        public override void Run(int chunk)
        {
            int group = chunk / BlocksPerGroup, end = (group + 1) * TokensPerGroup;
            int first = group * TokensPerGroup + chunk % BlocksPerGroup * TokensPerBlock, count = Math.Min(TokensPerBlock, end - first);
            int cols = count * Dim;
            float* x = ThreadScratch.Work.Get(2L * Readers * cols);
            // x [R, cols] = z·D[:, block] + C[block]: the block of each writer is cols contiguous floats.
            CpuGemm.Gemm(Z + (long)group * Readers * Writers, Writers, false, Stack + (long)first * Dim, RowStride, false, x, cols,
                Readers, cols, Writers, 1f, 0f, Corrupted + (long)first * Dim, maxThreads: 1);
            Block(chunk, first, count, x, x + (long)Readers * cols);
        }

        /// <summary>The block's rows once x holds them; <paramref name="scratch"/> has room for another x.</summary>
        protected abstract void Block(int chunk, int first, int count, float* x, float* scratch);
    }

    /// <summary>y = norm(x) per (reader, token) row of the block, with mean and rstd where they are kept.</summary>
    private sealed class ForwardJob : BlockJob
    {
        public float* Y, Mean, Rstd, Beta;
        public float Eps;
        public bool Rms;

        protected override void Block(int chunk, int first, int count, float* x, float* scratch)
        {
            int cols = count * Dim;
            for (int r = 0; r < Readers; r++)
            for (int t = 0; t < count; t++)
            {
                int row = r * Tokens + first + t;
                float* xr = x + (long)r * cols + (long)t * Dim, yr = Y + (long)row * Dim;
                if (Rms)
                {
                    float inv = CpuNorms.RmsRow(xr, Gamma, yr, Dim, Eps);
                    if (Rstd != null) Rstd[row] = inv;
                    continue;
                }
                var (mean, rstd) = CpuNorms.LayerNormRow(xr, Gamma, Beta, yr, Dim, Eps);
                if (Mean != null) Mean[row] = mean;
                if (Rstd != null) Rstd[row] = rstd;
            }
        }
    }

    /// <summary>dX per row of the block, then its share of dz, dD and dC.</summary>
    private sealed class BackwardJob : BlockJob
    {
        public float* DY, Mean, Rstd, DzPartials, DStack, DCorrupted;

        protected override void Block(int chunk, int first, int count, float* x, float* dx)
        {
            int cols = count * Dim;
            for (int r = 0; r < Readers; r++)
            for (int t = 0; t < count; t++)
            {
                int row = r * Tokens + first + t;
                long at = (long)r * cols + (long)t * Dim;
                CpuNorms.BackwardRow(x + at, DY + (long)row * Dim, Gamma, Mean == null ? 0f : Mean[row], Rstd[row], dx + at, Dim,
                    layerNorm: Mean != null);
            }
            float* stack = Stack + (long)first * Dim;
            if (DzPartials != null)
                CpuGemm.Gemm(dx, cols, false, stack, RowStride, true, DzPartials + (long)chunk * Readers * Writers, Writers,
                    Readers, Writers, cols, 1f, 0f, null, maxThreads: 1);
            if (DStack != null)
                CpuGemm.Gemm(Z, Writers, true, dx, cols, false, DStack + (long)first * Dim, RowStride,
                    Writers, cols, Readers, 1f, 1f, null, maxThreads: 1);
            if (DCorrupted != null)
            {
                var target = new Span<float>(DCorrupted + (long)first * Dim, cols);
                for (int r = 0; r < Readers; r++)
                    TensorPrimitives.Add(target, new ReadOnlySpan<float>(dx + (long)r * cols, cols), target);
            }
        }
    }
}
