using EdgePruning.Kernels.Cpu;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// The CUDA backend of <see cref="IKernels"/>: device tensors of this context with f32 or bf16 storage, every
/// tensor of one call in the same dtype (only <see cref="Copy"/> converts), f32 accumulation throughout.
/// GEMMs go to cuBLAS (TF32 tensor cores for f32 unless disabled on the context's cuBLAS, bf16 tensor cores
/// for bf16); everything else launches a kernel of kernels-cu/ on the context's stream. Calls queue work and
/// return; <see cref="CudaContext.Synchronize"/> waits for it. Each family's launcher lives in its own file
/// of this partial class; this one holds the checks and the launch helpers. Not for concurrent callers.
/// </summary>
public sealed partial class CudaKernels : IKernels, IDisposable
{

    private readonly CudaContext _context;
    private readonly CudaKernelModules _modules;
    private readonly DeviceStaging _staging;

    public CudaKernels(CudaContext context, CudaKernelModules modules)
    {
        _context = context;
        _modules = modules;
        _staging = new DeviceStaging(context);
        _embedding = new TypedKernel(modules, KernelEntryPoints.Embedding);
        _layerNorm = new TypedKernel(modules, KernelEntryPoints.LayerNorm);
        _rmsNorm = new TypedKernel(modules, KernelEntryPoints.RmsNorm);
        _softmax = new TypedKernel(modules, KernelEntryPoints.Softmax);
        _geluErf = new TypedKernel(modules, KernelEntryPoints.GeluErf);
        _geluTanh = new TypedKernel(modules, KernelEntryPoints.GeluTanh);
        _relu = new TypedKernel(modules, KernelEntryPoints.Relu);
        _silu = new TypedKernel(modules, KernelEntryPoints.Silu);
        _swiGlu = new TypedKernel(modules, KernelEntryPoints.SwiGlu);
        _add = new TypedKernel(modules, KernelEntryPoints.Add);
        _biasBroadcast = new TypedKernel(modules, KernelEntryPoints.BiasBroadcast);
        _biasBroadcastBatched = new TypedKernel(modules, KernelEntryPoints.BiasBroadcastBatched);
        _rope = new TypedKernel(modules, KernelEntryPoints.Rope);
        _attentionShort = new TypedKernel(modules, KernelEntryPoints.AttentionShort);
        _attentionLong = new TypedKernel(modules, KernelEntryPoints.AttentionLong);
    }

    public CudaContext Context => _context;

    private DType CommonDType(string op, params ReadOnlySpan<Tensor?> tensors) => CudaTensorChecks.CommonDType(_context, op, tensors);

    private void RequireHere(string op, Tensor t) => CudaTensorChecks.RequireHere(_context, op, t);


    private void Launch(CudaFunction function, Dim3 grid, Dim3 block, int sharedBytes, params ReadOnlySpan<KernelArg> args) =>
        function.Launch(_context.Stream, grid, block, sharedBytes, args);

    private void LaunchElementwise(CudaFunction function, long count, params ReadOnlySpan<KernelArg> args) =>
        GridStrideLaunch.Run(_context, function, count, args);

    /// <summary>Threads for a block that strides one row of <paramref name="length"/> elements: a multiple of 32, at most <paramref name="max"/>.</summary>
    private static int RowBlock(int length, int max) => Math.Clamp((length + 31) / 32 * 32, 32, max);

    public void Dispose() => _staging.Dispose();
}
