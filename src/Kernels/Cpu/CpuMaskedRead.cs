using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The fused masked read and its backward (<see cref="IMaskedReadKernels"/>) on the CPU engine: f32, SIMD, all
/// cores. Every reader's input x [R, N·d] = z [R,U]·D [U, N·d] + C (broadcast over readers) is one matrix
/// product of <see cref="IKernels.Gemm"/> over x filled with C; the norm (or its backward, from the forward's
/// statistics) then runs row by row in parallel. The backward adds dZ += dX·Dᵀ and dD += zᵀ·dX as two more
/// products and dC += Σ_r dX[r] as a column sum. Same contract as <see cref="MaskedReadReference"/>, which a
/// call with a bf16 D, y or dY is handed to (this engine computes in f32). Accumulates in f32, so results
/// differ from the reference's double sums in the last bits.
/// <para>
/// x and dX live in buffers of this instance that grow to the largest call and are then reused, so a call
/// allocates only views. Not for concurrent callers.
/// </para>
/// </summary>
public sealed unsafe class CpuMaskedRead : IMaskedReadKernels
{
    private readonly IKernels _kernels;
    private readonly int _maxThreads;
    private readonly GrowingMatrix _x = new();
    private readonly GrowingMatrix _dx = new();
    private readonly BroadcastJob _broadcast = new();
    private readonly ForwardRowsJob _forwardRows = new();
    private readonly BackwardRowsJob _backwardRows = new();
    private readonly ColumnSumJob _columnSum = new();

    /// <param name="kernels">The products run on these kernels; the row passes use as many threads as they may.</param>
    public CpuMaskedRead(IKernels kernels)
    {
        _kernels = kernels;
        _maxThreads = kernels is CpuKernels cpu ? cpu.MaxThreads : Environment.ProcessorCount;
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
        var x = Input(s, z, stack, corrupted);
        var job = _forwardRows;
        job.X = F32(x); job.Y = F32(y);
        job.Mean = mean is null ? null : F32(mean);
        job.Rstd = rstd is null ? null : F32(rstd);
        job.Gamma = F32(norm.Gamma);
        job.Beta = norm.Beta is null ? null : F32(norm.Beta);
        job.Rms = norm.Kind == MaskedReadNormKind.RmsNorm;
        job.Eps = norm.Eps;
        RunRows(job, s);
    }

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd,
        Tensor outputGrad, Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        if (stack.DType != DType.F32 || outputGrad.DType != DType.F32)
        {
            MaskedReadReference.Instance.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
            return;
        }
        var s = MaskedReadShape.Of(z, stack, corrupted, norm);
        MaskedReadChecks.Backward(s, z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
        if (dz is null && dStack is null && dCorrupted is null) return;
        var x = Input(s, z, stack, corrupted);
        var dx = _dx.View(s.Readers, s.Tokens * s.Dim);
        var job = _backwardRows;
        bool layerNorm = norm.Kind == MaskedReadNormKind.LayerNorm;
        job.X = F32(x); job.DY = F32(outputGrad); job.DX = F32(dx);
        job.Mean = layerNorm ? F32(mean!) : null;
        job.Rstd = F32(rstd);
        job.Gamma = F32(norm.Gamma);
        RunRows(job, s);

        if (s.Writers > 0 && dz is not null)
            _kernels.Gemm(dx, false, StackMatrix(s, stack), true, Matrix(dz, s.Readers, s.Writers), beta: 1f);
        if (s.Writers > 0 && dStack is not null)
            _kernels.Gemm(z, true, dx, false, StackMatrix(s, dStack), beta: 1f);
        if (dCorrupted is not null) ColumnSum(dx, dCorrupted, s);
    }

    /// <summary>x [R, N·d] in this instance's buffer: C copied to every reader's row, then z·D added.</summary>
    private Tensor Input(MaskedReadShape s, Tensor z, Tensor stack, Tensor corrupted)
    {
        int cols = checked(s.Tokens * s.Dim);
        var x = _x.View(s.Readers, cols);
        var job = _broadcast;
        job.Source = F32(corrupted);
        job.Target = F32(x);
        job.Cols = cols;
        job.BlocksPerRow = (cols + BroadcastJob.Block - 1) / BroadcastJob.Block;
        CpuParallel.Run(job, s.Readers * job.BlocksPerRow, _maxThreads);
        if (s.Writers > 0) _kernels.Gemm(z, false, StackMatrix(s, stack), false, x, beta: 1f);
        return x;
    }

    private void RunRows(RowsJob job, MaskedReadShape s)
    {
        job.D = s.Dim;
        job.Rows = s.Rows;
        job.RowsPerChunk = CpuRows.RowsPerChunk(s.Dim);
        CpuParallel.Run(job, CpuRows.Chunks(s.Rows, job.RowsPerChunk), _maxThreads);
    }

    /// <summary>target [N·d] += Σ_r dx[r, :], in column blocks across threads.</summary>
    private void ColumnSum(Tensor dx, Tensor target, MaskedReadShape s)
    {
        var job = _columnSum;
        job.Source = F32(dx);
        job.Target = F32(target);
        job.Readers = s.Readers;
        job.Cols = checked(s.Tokens * s.Dim);
        CpuParallel.Run(job, (job.Cols + ColumnSumJob.Block - 1) / ColumnSumJob.Block, _maxThreads);
    }

    /// <summary>D (or dD) [U,N,d] as the matrix [U, N·d] of the products.</summary>
    private static Tensor StackMatrix(MaskedReadShape s, Tensor stack) => Matrix(stack, s.Writers, checked(s.Tokens * s.Dim));

    private static Tensor Matrix(Tensor t, int rows, int cols) =>
        t.Shape.Rank == 2 && t.Shape[0] == rows && t.Shape[1] == cols ? t : t.Reshape(rows, cols);

    private static float* F32(Tensor t) => (float*)t.Pointer;

    /// <summary>An f32 matrix over storage that only grows; the view is kept while the shape repeats.</summary>
    private sealed class GrowingMatrix
    {
        private ArrayStorage? _storage;
        private Tensor? _view;

        public Tensor View(int rows, int cols)
        {
            if (_view is { } v && v.Shape[0] == rows && v.Shape[1] == cols) return v;
            long bytes = (long)rows * cols * sizeof(float);
            if (_storage is null || _storage.ByteLength < bytes) _storage = new ArrayStorage(bytes, zeroed: false);
            return _view = Tensor.Wrap(_storage, 0, DType.F32, rows, cols);
        }
    }

    /// <summary>Chunk = one block of columns of one reader's row: target[r, block] = source[block].</summary>
    private sealed class BroadcastJob : ParallelJob
    {
        public const int Block = 64 * 1024;
        public float* Source, Target;
        public int Cols, BlocksPerRow;

        public override void Run(int chunk)
        {
            int r = chunk / BlocksPerRow, j0 = chunk % BlocksPerRow * Block;
            long bytes = (long)Math.Min(Block, Cols - j0) * sizeof(float);
            Buffer.MemoryCopy(Source + j0, Target + (long)r * Cols + j0, bytes, bytes);
        }
    }

    /// <summary>Rows of d elements, a chunk of <see cref="RowsPerChunk"/> at a time.</summary>
    private abstract class RowsJob : ParallelJob
    {
        public int D, Rows, RowsPerChunk;

        public override void Run(int chunk)
        {
            int end = Math.Min(Rows, (chunk + 1) * RowsPerChunk);
            for (int r = chunk * RowsPerChunk; r < end; r++) Row(r, (long)r * D);
        }

        protected abstract void Row(int row, long offset);
    }

    /// <summary>y = norm(x) per row, with the row's mean and rstd where they are kept.</summary>
    private sealed class ForwardRowsJob : RowsJob
    {
        public float* X, Y, Mean, Rstd, Gamma, Beta;
        public float Eps;
        public bool Rms;

        protected override void Row(int row, long offset)
        {
            if (Rms)
            {
                float inv = CpuNorms.RmsRow(X + offset, Gamma, Y + offset, D, Eps);
                if (Rstd != null) Rstd[row] = inv;
                return;
            }
            var (mean, rstd) = CpuNorms.LayerNormRow(X + offset, Gamma, Beta, Y + offset, D, Eps);
            if (Mean != null) Mean[row] = mean;
            if (Rstd != null) Rstd[row] = rstd;
        }
    }

    /// <summary>dX per row from x, dY and the forward's statistics (no mean: RMSNorm).</summary>
    private sealed class BackwardRowsJob : RowsJob
    {
        public float* X, DY, DX, Mean, Rstd, Gamma;

        protected override void Row(int row, long offset) =>
            CpuNorms.BackwardRow(X + offset, DY + offset, Gamma, Mean == null ? 0f : Mean[row], Rstd[row], DX + offset, D, layerNorm: Mean != null);
    }

    /// <summary>Chunk = one block of columns: target[block] += Σ_r source[r, block].</summary>
    private sealed class ColumnSumJob : ParallelJob
    {
        public const int Block = 4096;
        public float* Source, Target;
        public int Readers, Cols;

        public override void Run(int chunk)
        {
            int j0 = chunk * Block, n = Math.Min(Block, Cols - j0);
            var target = new Span<float>(Target + j0, n);
            for (int r = 0; r < Readers; r++)
                TensorPrimitives.Add(target, new ReadOnlySpan<float>(Source + (long)r * Cols + j0, n), target);
        }
    }
}
