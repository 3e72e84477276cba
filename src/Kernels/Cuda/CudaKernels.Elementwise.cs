using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cuda;

public sealed partial class CudaKernels
{
    private readonly TypedKernel _geluErf;
    private readonly TypedKernel _geluTanh;
    private readonly TypedKernel _relu;
    private readonly TypedKernel _silu;
    private readonly TypedKernel _swiGlu;
    private readonly TypedKernel _add;

    public void Activate(Activation activation, Tensor x, Tensor y)
    {
        KernelChecks.Require(x.Count == y.Count, $"activation: x {x.Shape}, y {y.Shape}");
        var kernel = activation switch
        {
            Activation.GeluErf => _geluErf,
            Activation.GeluTanh => _geluTanh,
            Activation.Relu => _relu,
            Activation.Silu => _silu,
            _ => throw new ArgumentOutOfRangeException(nameof(activation)),
        };
        var dtype = CommonDType("activation", x, y);
        LaunchElementwise(kernel.For(dtype), x.Count, x, y, x.Count);
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y)
    {
        KernelChecks.Require(gate.Count == up.Count && up.Count == y.Count, $"swiglu: gate {gate.Shape}, up {up.Shape}, y {y.Shape}");
        var dtype = CommonDType("swiglu", gate, up, y);
        LaunchElementwise(_swiGlu.For(dtype), y.Count, gate, up, y, y.Count);
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        KernelChecks.Require(a.Count == b.Count && b.Count == y.Count, $"add: a {a.Shape}, b {b.Shape}, y {y.Shape}");
        var dtype = CommonDType("add", a, b, y);
        LaunchElementwise(_add.For(dtype), y.Count, a, b, y, y.Count);
    }
}
