using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu;

/// <summary>The host as a kernel backend: tensors are ordinary host tensors (f32), copies convert only.</summary>
public sealed class CpuKernelBackend(IKernels kernels) : IKernelBackend
{
    public CpuKernelBackend() : this(CpuKernels.Instance) { }

    public string Name => "cpu";
    public string Description => $"{Environment.ProcessorCount} logical cores, {kernels.GetType().Name}";
    public IKernels Kernels => kernels;
    public IGradientKernels Gradients { get; } = new CpuGradientKernels();
    public ITrainingKernels Training { get; } = new ReferenceTrainingKernels(kernels);
    public IMaskedReadKernels MaskedRead { get; } = new CpuMaskedRead(kernels is CpuKernels cpu ? cpu.MaxThreads : Environment.ProcessorCount);
    public IReadOnlyList<DType> DTypes { get; } = [DType.F32];

    public Tensor Empty(DType dtype, params int[] dims) => Tensor.Empty(dtype, dims);
    public ITensorScope OpenScope() => new HostTensorScope();

    public Tensor Upload(Tensor host, DType dtype)
    {
        var copy = Tensor.Empty(dtype, host.Shape.Dims.ToArray());
        HostCopy.Copy(host, copy);
        return copy;
    }

    public void CopyFromHost(Tensor host, Tensor destination) => HostCopy.Copy(host, destination);
    public Tensor Download(Tensor tensor) => tensor.DType == DType.F32 ? tensor.Clone() : tensor.ToF32();
    public void Synchronize() { }
    public void Reset() { }
    public int LiveAllocations => 0;
    public void Dispose() { }
}
