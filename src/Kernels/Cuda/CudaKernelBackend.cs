using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;

namespace EdgePruning.Kernels.Cuda;

/// <summary>
/// One GPU as a kernel backend: tensors are device tensors of a scope that <see cref="Reset"/> gives back,
/// uploads convert on the host and then copy, downloads copy back and convert to f32. The backend owns its
/// context. <see cref="LiveAllocations"/> counts pool buffers beyond those the backend keeps for itself
/// (cuBLAS's workspace, the staging buffers of ids and masks), so it is 0 after a reset.
/// </summary>
public sealed class CudaKernelBackend : IKernelBackend, IWorkCapture
{
    private readonly CudaContext _context;
    private readonly CudaKernelModules _modules;
    private readonly CudaKernels _kernels;
    private readonly CudaGradientKernels _gradients;
    private readonly CudaTrainingKernels _training;
    private readonly DeviceScope _scope;
    private readonly int _ownAllocations;

    private CudaKernelBackend(CudaContext context)
    {
        _context = context;
        _modules = new CudaKernelModules(context);
        _kernels = new CudaKernels(context, _modules);
        _gradients = new CudaGradientKernels(context, _modules);
        _training = new CudaTrainingKernels(context, _modules);
        _scope = new DeviceScope(context);
        _ = context.Cublas; // loads cuBLAS now (a missing library fails here, not in the first GEMM) and rents its workspace
        _ownAllocations = context.Pool.LiveAllocations;
        Description = Describe(context);
    }

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="CudaUnavailableException"/> saying why it cannot.</summary>
    public static CudaKernelBackend Open(int ordinal = 0)
    {
        var context = CudaContext.Open(ordinal);
        try
        {
            return new CudaKernelBackend(context);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    public string Name => _context.Location;
    public string Description { get; }
    public IKernels Kernels => _kernels;
    public IGradientKernels Gradients => _gradients;
    public ITrainingKernels Training => _training;
    public CudaContext Context => _context;
    public IMaskedReadKernels MaskedRead => field ??= new CudaMaskedRead(_context, _modules);
    public CudaKernelModules Modules => _modules;
    public IReadOnlyList<DType> DTypes { get; } = [DType.F32, DType.BF16];
    public int LiveAllocations => _context.Pool.LiveAllocations - _ownAllocations;

    public Tensor Empty(DType dtype, params int[] dims) => _scope.Empty(dtype, dims);

    /// <summary>Captures <paramref name="work"/> as one CUDA graph (<see cref="CapturedStreamWork"/>).</summary>
    public ICapturedWork Capture(Action work) => new CudaCapturedWork(CapturedStreamWork.Capture(_context, work));
    public ITensorScope OpenScope() => new DeviceScope(_context);

    /// <summary>Converts on the host, copies, and waits for the copy (the host tensor may change afterwards).</summary>
    public Tensor Upload(Tensor host, DType dtype)
    {
        if (host.IsOnDevice) throw new ShapeException($"upload: tensor {host.Shape} already lives on {host.Storage.Location}");
        var converted = host.To(dtype);
        var device = _scope.Empty(dtype, host.Shape.Dims.ToArray());
        _context.CopyToDevice(converted, device);
        if (_context.Work is null) _context.Synchronize();
        return device;
    }

    public void CopyFromHost(Tensor host, Tensor destination)
    {
        if (host.IsOnDevice) throw new ShapeException($"copy from host: tensor {host.Shape} lives on {host.Storage.Location}");
        if (host.Count != destination.Count) throw new ShapeException($"copy from host: {host.Shape} into {destination.Shape}");
        _context.CopyToDevice(host.To(destination.DType), destination);
        // Under capture the values are in a pinned slot already: nothing to wait for (and waiting is refused).
        if (_context.Work is null) _context.Synchronize();
    }

    public Tensor Download(Tensor tensor)
    {
        if (!tensor.IsOnDevice) throw new ShapeException($"download: tensor {tensor.Shape} lives on the host, not on {Name}");
        return _context.Download(tensor).ToF32();
    }

    public void Synchronize() => _context.Synchronize();

    /// <summary>Waits for queued work, then gives every tensor of the scope back to the pool.</summary>
    public void Reset()
    {
        _context.Synchronize();
        _scope.Dispose();
    }

    private static string Describe(CudaContext context)
    {
        var info = context.Info;
        var libraries = string.Join(", ", CudaLibraryVersions.Query()
            .Where(l => l.Name != "cublasLt")
            .Select(l => $"{(l.Name == "nvrtc" ? "NVRTC" : "cuBLAS")} {l.Version ?? "unavailable"}"));
        return $"{info.Name} ({context.Architecture}, {info.Multiprocessors} SMs, {info.TotalMemoryBytes / (1L << 30)} GiB), " +
               $"driver CUDA {context.Environment.DriverVersionText}, {libraries}";
    }

    public void Dispose()
    {
        _context.Synchronize();
        _scope.Dispose();
        _kernels.Dispose();
        _gradients.Dispose();
        _training.Dispose();
        _modules.Dispose();
        _context.Dispose();
    }
}
