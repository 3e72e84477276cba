using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>
/// A backend whose tensors claim to live in device memory (no bytes behind them): what a GPU backend looks like
/// to code that reads tensors on the host. Its kernels are the CPU kernels, which refuse such tensors.
/// </summary>
public sealed class FakeDeviceBackend : IKernelBackend
{
    public string Name => "fake:0";
    public string Description => "tensors that say they live on a device (test backend)";
    public IKernels Kernels => CpuKernels.Instance;
    public IGradientKernels Gradients { get; } = new CpuGradientKernels();
    public ITrainingKernels Training { get; } = new ReferenceTrainingKernels(CpuKernels.Instance);
    public IMaskedReadKernels MaskedRead => MaskedReadReference.Instance;
    public IReadOnlyList<DType> DTypes { get; } = [DType.F32];
    public Tensor Empty(DType dtype, params int[] dims) => Tensor.Wrap(new FakeDeviceStorage(new Shape(dims).Count * dtype.SizeOf()), 0, dtype, dims);
    public ITensorScope OpenScope() => throw new NotSupportedException("a fake device makes no scopes");
    public Tensor Upload(Tensor host, DType dtype) => Empty(dtype, host.Shape.Dims.ToArray());
    public void CopyFromHost(Tensor host, Tensor destination) { }
    public Tensor Download(Tensor tensor) => throw new NotSupportedException("a fake device holds no values");
    public void Synchronize() { }
    public void Reset() { }
    public int LiveAllocations => 0;
    public void Dispose() { }

    private sealed class FakeDeviceStorage(long bytes) : Storage, IDeviceStorage
    {
        public override long ByteLength => bytes;
        public override string Location => "fake:0";
        public ulong DeviceAddress => 0x1000;
    }
}
