using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// <see cref="ITrainingKernels"/> on a GPU: hard_concrete.cu, random.cu's mask noise, sum.cu, kl.cu, adamw.cu and masked_edge_sum.cu, with the
/// products of the masked edge sum through cuBLAS (f32 operands; TF32 when the context allows it).
/// Every tensor is an f32 device tensor.
/// </summary>
public sealed class CudaTrainingKernels : ITrainingKernels, IDisposable
{
    private const int Threads = 256;
    private const int MaxElementwiseBlocks = 4096;
    private readonly CudaContext _context;
    private readonly CudaKernelModules _modules;
    private readonly DeviceStaging _first, _second;

    public CudaTrainingKernels(CudaContext context, CudaKernelModules modules)
    {
        _context = context;
        _modules = modules;
        _first = new DeviceStaging(context);
        _second = new DeviceStaging(context);
    }

    private static uint ElementwiseBlocks(long n) => (uint)Math.Clamp((n + Threads - 1) / Threads, 1, MaxElementwiseBlocks);

    private static void RequireDevice(string what, params Tensor?[] tensors)
    {
        foreach (var t in tensors)
            if (t is not null && (!t.IsOnDevice || t.DType != DType.F32))
                throw new ShapeException($"{what}: expects f32 device tensors, got {t.Shape} {t.DType.Name()} on {t.Storage.Location}");
    }

    public void HardConcrete(Tensor logAlpha, Tensor uniform, Tensor z)
    {
        KernelChecks.Require(uniform.Count == logAlpha.Count && z.Count == logAlpha.Count, $"hard concrete: {logAlpha.Shape}, {uniform.Shape}, {z.Shape}");
        RequireDevice("hard concrete", logAlpha, uniform, z);
        _modules.Function("hard_concrete.cu", "hard_concrete_forward")
            .Launch(_context.Stream, ElementwiseBlocks(z.Count), Threads, 0, logAlpha, uniform, z, z.Count);
    }

    public void HardConcreteBackward(Tensor logAlpha, Tensor uniform, Tensor dz, Tensor dLogAlpha, float dzShift = 0)
    {
        KernelChecks.Require(uniform.Count == logAlpha.Count && dz.Count == logAlpha.Count && dLogAlpha.Count == logAlpha.Count,
            $"hard concrete backward: {logAlpha.Shape}, {uniform.Shape}, {dz.Shape}, {dLogAlpha.Shape}");
        RequireDevice("hard concrete backward", logAlpha, uniform, dz, dLogAlpha);
        _modules.Function("hard_concrete.cu", "hard_concrete_backward")
            .Launch(_context.Stream, ElementwiseBlocks(dz.Count), Threads, 0, logAlpha, uniform, dz, dzShift, dLogAlpha, dz.Count);
    }

    public void MaskNoise(Tensor u, ulong seed)
    {
        RequireDevice("mask noise", u);
        _modules.Function("random.cu", "random_mask_noise_f32")
            .Launch(_context.Stream, ElementwiseBlocks(u.Count), Threads, 0, u, seed, Kernels.MaskNoise.Low, Kernels.MaskNoise.High, u.Count);
    }

    public void Sum(Tensor x, bool squares, Tensor total)
    {
        KernelChecks.Require(total.Count == 2, $"sum: the total is {total.Shape}, not two floats");
        RequireDevice("sum", x, total);
        _modules.Function("sum.cu", "vector_sum_f32").Launch(_context.Stream, 1, Threads, 0, x, total, squares ? 1 : 0, x.Count);
    }

    public void MaskedEdgeSum(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x)
    {
        var (R, W, N) = MaskedEdgeSumShape.Of(z, visible, d, x, c);
        RequireDevice("masked edge sum", z, d, c, x);
        if (c.Count == N)
            _modules.Function("masked_edge_sum.cu", "masked_edge_sum_broadcast")
                .Launch(_context.Stream, new Dim3(Dim3.Blocks(N, Threads), checked((uint)R)), Threads, 0, c, x, (long)N, R);
        else
            _context.Copy(c, x);
        if (W == 0) return;
        using var masks = VisibleMasks(z, visible, R, W);
        _context.Cublas.Gemm(false, false, R, N, W, 1f, masks.Address, DType.F32, W, d.DeviceAddress, DType.F32, N, 1f, x.DeviceAddress, DType.F32, N);
    }

    public void MaskedEdgeSumBackward(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd)
    {
        var (R, W, N) = MaskedEdgeSumShape.Of(z, visible, d, dx, null);
        KernelChecks.Require((dz is null || dz.Count == z.Count) && (dd is null || dd.Count == d.Count), $"masked edge sum backward: dz {dz?.Shape}, dd {dd?.Shape}");
        RequireDevice("masked edge sum backward", z, d, dx, dz, dd);
        if (W == 0) return;
        if (dz is not null)
        {
            if (visible.IsEmpty)
            {
                _context.Cublas.Gemm(false, true, R, W, N, 1f, dx.DeviceAddress, DType.F32, N, d.DeviceAddress, DType.F32, N, 1f, dz.DeviceAddress, DType.F32, W);
            }
            else
            {
                using var full = _context.Rent((long)R * W * sizeof(float));
                _context.Cublas.Gemm(false, true, R, W, N, 1f, dx.DeviceAddress, DType.F32, N, d.DeviceAddress, DType.F32, N, 0f, full.DeviceAddress, DType.F32, W);
                _modules.Function("masked_edge_sum.cu", "masked_edge_sum_accumulate_visible")
                    .Launch(_context.Stream, Dim3.Blocks((long)R * W, Threads), Threads, 0, full.DeviceAddress, _first.Upload(visible), dz, R, W);
            }
        }
        if (dd is not null)
        {
            using var masks = VisibleMasks(z, visible, R, W);
            _context.Cublas.Gemm(true, false, W, N, R, 1f, masks.Address, DType.F32, W, dx.DeviceAddress, DType.F32, N, 1f, dd.DeviceAddress, DType.F32, N);
        }
    }

    /// <summary>Z itself when every reader sees every writer, else a pool copy with the unseen entries zeroed.</summary>
    private VisibleMaskBuffer VisibleMasks(Tensor z, ReadOnlySpan<int> visible, int R, int W)
    {
        if (visible.IsEmpty) return new VisibleMaskBuffer(z.DeviceAddress, null);
        var buffer = _context.Rent((long)R * W * sizeof(float));
        _modules.Function("masked_edge_sum.cu", "masked_edge_sum_visible")
            .Launch(_context.Stream, Dim3.Blocks((long)R * W, Threads), Threads, 0, z, _second.Upload(visible), buffer.DeviceAddress, R, W);
        return new VisibleMaskBuffer(buffer.DeviceAddress, buffer);
    }

    private readonly record struct VisibleMaskBuffer(ulong Address, DeviceBuffer? Owned) : IDisposable
    {
        public void Dispose() => Owned?.Dispose();
    }

    public void KlDivergence(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit, float gradScale)
    {
        int V = KlShape.Check(full, circuit, rows, columns, rowKl, dCircuit);
        RequireDevice("kl", full, circuit, rowKl, dCircuit);
        if (rows.Length > int.MaxValue / 2) throw new ShapeException($"kl: {rows.Length} rows is too many for one launch");
        int width = columns.IsEmpty ? V : columns.Length;
        _modules.Function("kl.cu", "kl_rows").Launch(_context.Stream, rows.Length, KlThreads(width), 0,
            full, circuit, _first.Upload(rows), columns.IsEmpty ? 0UL : _second.Upload(columns).DeviceAddress, width, V, rowKl, dCircuit, gradScale);
    }

    public void SequenceKl(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit, float gradScale)
    {
        int sequences = KlShape.CheckSequences(full, circuit, offsets, rows, seqKl, dCircuit);
        RequireDevice("sequence kl", full, circuit, seqKl, dCircuit);
        _modules.Function("kl.cu", "sequence_kl").Launch(_context.Stream, (sequences + Threads - 1) / Threads, Threads, 0,
            full, circuit, _first.Upload(offsets), _second.Upload(rows).DeviceAddress, sequences, circuit.Shape.Cols, seqKl, dCircuit, gradScale);
    }

    /// <summary>Threads of a KL block for rows of <paramref name="width"/> columns: whole warps, up to one per 32 columns, 256 at most.</summary>
    internal static int KlThreads(int width) => Math.Clamp((width + 31) / 32 * 32, 32, Threads);

    public void AdamW(Tensor parameters, Tensor gradients, Tensor first, Tensor second, AdamWStep step)
    {
        KernelChecks.Require(gradients.Count == parameters.Count && first.Count == parameters.Count && second.Count == parameters.Count,
            $"adamw: {parameters.Shape}, {gradients.Shape}, {first.Shape}, {second.Shape}");
        RequireDevice("adamw", parameters, gradients, first, second);
        _modules.Function("adamw.cu", "adamw_step").Launch(_context.Stream, ElementwiseBlocks(parameters.Count), Threads, 0,
            parameters, gradients, first, second, parameters.Count, (float)(1 - step.LearningRate * step.WeightDecay),
            step.LearningRate / step.BiasCorrection1, step.SqrtBiasCorrection2, AdamWStep.Beta1, AdamWStep.Beta2, AdamWStep.Eps,
            step.Maximize ? 1 : 0);
    }

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }
}
