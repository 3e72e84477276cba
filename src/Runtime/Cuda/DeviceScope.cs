namespace EdgePruning.Runtime.Cuda;

/// <summary>
/// Device tensors allocated for one piece of work (a step, a test) and given back together when the
/// scope is disposed: the device counterpart of a <see cref="TensorArena"/>.
/// </summary>
public sealed class DeviceScope(CudaContext context) : ITensorScope
{
    private readonly List<Tensor> _owned = [];

    public CudaContext Context => context;

    public Tensor Empty(DType dtype, params int[] dims) => Own(context.Empty(dtype, dims));
    public Tensor Zeros(DType dtype, params int[] dims) => Own(context.Zeros(dtype, dims));
    public Tensor Upload(Tensor host) => Own(context.Upload(host));

    public Tensor Own(Tensor device)
    {
        _owned.Add(device);
        return device;
    }

    public void Dispose()
    {
        foreach (var t in _owned) CudaContext.Release(t);
        _owned.Clear();
    }
}
