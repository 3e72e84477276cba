using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Models;
using EdgePruning.Runtime;
using EdgePruning.Runtime.Cuda;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Pruning;

/// <summary>
/// Where a run computes and in which dtype, as users name them (<c>--device cpu|cuda|cuda:N|auto</c>,
/// <c>--dtype f32|bf16</c>): the host kernels, or a GPU backend that every tensor of the run lives on.
/// </summary>
public sealed class RunDevice : IDisposable
{
    /// <summary>Models of at least this many parameters go to a GPU when the device is left to <c>auto</c>.</summary>
    public const long AutoCudaParameters = 20_000_000;

    /// <summary>Models of at least this many parameters run in bf16 on a GPU unless a dtype is named.</summary>
    public const long AutoBf16Parameters = 1_000_000_000;

    private readonly List<IDisposable> _owned = [];

    private RunDevice(string name, DType dtype, IKernels kernels, IKernelBackend? backend, string description, string? choice,
        IReadOnlyList<IKernelBackend>? backends = null)
    {
        Name = name;
        Backends = backends ?? (backend is null ? [] : [backend]);
        DType = dtype;
        Kernels = kernels;
        Backend = backend;
        Description = description;
        Choice = choice;
    }

    /// <summary>"cpu" or "cuda:N".</summary>
    public string Name { get; }
    /// <summary>The dtype of weights and activations (the CPU computes in f32).</summary>
    public DType DType { get; }
    /// <summary>The kernels the model runs on: the host's, or the backend's.</summary>
    public IKernels Kernels { get; }
    /// <summary>The GPU backend (the first of several); null on the CPU.</summary>
    public IKernelBackend? Backend { get; }
    /// <summary>Every GPU backend of the run: one, or several for data parallel training; none on the CPU.</summary>
    public IReadOnlyList<IKernelBackend> Backends { get; }
    public bool IsCuda => Backend is not null;
    /// <summary>One line naming the device (the GPU, its driver and libraries; or the CPU's threads).</summary>
    public string Description { get; }
    /// <summary>Why <c>auto</c> chose this device; null when the user named it.</summary>
    public string? Choice { get; }

    /// <summary>The host with <paramref name="threads"/> threads (null: all cores), in f32.</summary>
    public static RunDevice Cpu(int? threads = null) => Cpu(threads, choice: null);

    private static RunDevice Cpu(int? threads, string? choice)
    {
        var kernels = threads is { } t ? new CpuKernels(t) : CpuKernels.Instance;
        return new RunDevice("cpu", DType.F32, kernels, null, $"CPU, {threads ?? Environment.ProcessorCount} threads, f32", choice);
    }

    /// <summary>
    /// Opens the device a user named. <paramref name="device"/> null or <c>auto</c> picks a real GPU for a model
    /// of <paramref name="parameters"/> ≥ <see cref="AutoCudaParameters"/> (never the emulator), else the CPU.
    /// <paramref name="dtype"/> null is f32, and bf16 on a GPU for a model of ≥ <see cref="AutoBf16Parameters"/>
    /// (whose f32 weights alone would take a large share of the device).
    /// </summary>
    public static RunDevice Open(string? device, string? dtype, int? threads = null, long parameters = 0)
    {
        string name = (device ?? "auto").Trim().ToLowerInvariant();
        string? choice = null;
        if (name == "auto") (name, choice) = Auto(parameters);
        DType? asked = dtype is null ? null : DTypeInfo.Parse(dtype);
        if (asked == DType.F16) throw new EdgePruningException("--dtype f16 is not offered: use f32 or bf16");
        if (name == "cpu")
        {
            if (asked is { } a && a != DType.F32)
                throw new EdgePruningException($"--dtype {a.Name()} is not supported on the CPU, which computes in f32; use --device cuda for {a.Name()}");
            return Cpu(threads, choice);
        }
        if (name != "cuda" && !name.StartsWith("cuda:", StringComparison.Ordinal))
            throw new EdgePruningException($"unknown device '{device}'; use cpu, cuda, cuda:N, cuda:N,M,... or auto");
        if (threads is not null) throw new EdgePruningException("--threads sets CPU threads; leave it out with --device " + name);
        var names = name.Contains(',') ? name[5..].Split(',').Select(n => "cuda:" + n.Trim()).ToArray() : [name];
        if (names.Distinct().Count() != names.Length) throw new EdgePruningException($"--device {name}: each GPU may appear once");
        var type = asked ?? (parameters >= AutoBf16Parameters ? DType.BF16 : DType.F32);
        var backends = new List<IKernelBackend>();
        try
        {
            foreach (var n in names)
            {
                var backend = KernelBackends.Open(n);
                backends.Add(backend);
                if (!backend.DTypes.Contains(type))
                    throw new EdgePruningException($"{backend.Name} does not compute in {type.Name()}; use {string.Join(" or ", backend.DTypes.Select(t => t.Name()))}");
            }
        }
        catch
        {
            foreach (var b in backends) b.Dispose();
            throw;
        }
        var first = backends[0];
        string emulated = CudaLibraryResolver.EmulatorVersion() is { } v ? $" (emulated: {v})" : "";
        string label = backends.Count == 1 ? first.Name : string.Join(",", backends.Select(b => b.Name));
        string description = backends.Count == 1 ? first.Description : $"{backends.Count} GPUs, data parallel: {first.Description}";
        return new RunDevice(label, type, first.Kernels, first, $"{description}, {type.Name()}{emulated}", choice, backends);
    }

    /// <summary>The device <c>auto</c> means for a model of <paramref name="parameters"/>, and why.</summary>
    private static (string Name, string Why) Auto(long parameters)
    {
        if (parameters < AutoCudaParameters)
            return ("cpu", $"auto: a model of {parameters:N0} parameters runs on the CPU (a GPU is chosen from {AutoCudaParameters:N0})");
        CudaEnvironment env;
        try
        {
            env = CudaDevices.Query();
        }
        catch (CudaUnavailableException ex)
        {
            return ("cpu", $"auto: no usable GPU ({ex.Message})");
        }
        if (CudaLibraryResolver.EmulatorVersion() is not null)
            return ("cpu", "auto: the only CUDA driver is the emulator (a test tool); name --device cuda to use it");
        if (env.Devices.Count == 0) return ("cpu", "auto: the CUDA driver shows no device");
        return ("cuda:0", $"auto: {env.Devices[0].Name} for a model of {parameters:N0} parameters");
    }

    /// <summary>A model of <paramref name="config"/> over host <paramref name="weights"/> on this device (copied there in <see cref="DType"/>).</summary>
    public Transformer Place(TransformerConfig config, TransformerWeights weights, string source) =>
        Backend is null ? new Transformer(config, weights, Kernels, source) : Transformer.OnBackend(config, weights, Backend, DType, source);

    /// <summary>The model over host <paramref name="weights"/> copied to GPU <paramref name="index"/> of <see cref="Backends"/>.</summary>
    public Transformer PlaceOn(int index, TransformerConfig config, TransformerWeights weights, string source) =>
        Transformer.OnBackend(config, weights, Backends[index], DType, source);

    /// <summary>
    /// The device memory free now, the least of its GPUs' (null on the CPU, whose memory the plan is not checked against).
    /// </summary>
    public long? FreeBytes() => Backends.Count == 0 ? null : Backends.Min(b => b is CudaKernelBackend cuda ? cuda.Context.MemoryInfo().Free : long.MaxValue);

    /// <summary>Makes <paramref name="resource"/> (built over these GPUs) end with the device, before the GPUs are let go.</summary>
    public void Own(IDisposable resource) => _owned.Add(resource);

    public void Dispose()
    {
        foreach (var r in _owned) r.Dispose();
        foreach (var b in Backends) b.Dispose();
    }
}
