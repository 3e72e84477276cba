using EdgePruning.Kernels;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// The edge masks' share of <see cref="MaskState"/> kept on the model's backend between steps: log α and its AdamW
/// moments, and each step's noise u, sample z and gradient ∂loss/∂log α. A step draws u and z there, reads back Σ z
/// and Σ g² (two floats each), and updates log α there; the host copy in <see cref="MaskState"/> is brought up to date
/// only when someone reads it (a checkpoint, the circuit). Node masks, multipliers and learned constants stay on the host.
/// </summary>
internal sealed class DeviceMaskState
{
    private readonly IKernelBackend _backend;
    private readonly ITrainingKernels _k;
    private readonly Tensor _total;

    public DeviceMaskState(IKernelBackend backend, int edges)
    {
        _backend = backend;
        _k = backend.Training;
        LogAlpha = backend.Empty(DType.F32, edges);
        First = backend.Empty(DType.F32, edges);
        Second = backend.Empty(DType.F32, edges);
        Noise = backend.Empty(DType.F32, edges);
        Sample = backend.Empty(DType.F32, edges);
        LogAlphaGrad = backend.Empty(DType.F32, edges);
        _total = backend.Empty(DType.F32, 2);
    }

    public Tensor LogAlpha { get; }
    public Tensor First { get; }
    public Tensor Second { get; }
    public Tensor Noise { get; }
    /// <summary>z of every edge mask, this step's.</summary>
    public Tensor Sample { get; }
    public Tensor LogAlphaGrad { get; }

    /// <summary>log α and the edge optimizer's moments from the host copy.</summary>
    public void Upload(MaskState state)
    {
        _backend.CopyFromHost(Tensor.FromData(state.EdgeLogAlpha, state.EdgeLogAlpha.Length), LogAlpha);
        _backend.CopyFromHost(Tensor.FromData(state.EdgeOptimizer.First, state.EdgeLogAlpha.Length), First);
        _backend.CopyFromHost(Tensor.FromData(state.EdgeOptimizer.Second, state.EdgeLogAlpha.Length), Second);
    }

    /// <summary>log α and the edge optimizer's moments into the host copy.</summary>
    public void Download(MaskState state)
    {
        _backend.Download(LogAlpha).Span.CopyTo(state.EdgeLogAlpha);
        _backend.Download(First).Span.CopyTo(state.EdgeOptimizer.First);
        _backend.Download(Second).Span.CopyTo(state.EdgeOptimizer.Second);
    }

    /// <summary>Draws this step's noise from <paramref name="seed"/> and samples z; returns Σ z.</summary>
    public double Draw(ulong seed)
    {
        _k.MaskNoise(Noise, seed);
        _k.HardConcrete(LogAlpha, Noise, Sample);
        return Total(Sample, squares: false);
    }

    /// <summary>∂loss/∂log α from ∂loss/∂z (<paramref name="dz"/>, plus the sparsity term <paramref name="dzShift"/>); returns Σ g².</summary>
    public double Backward(Tensor dz, float dzShift)
    {
        _backend.Gradients.Fill(LogAlphaGrad, 0f);
        _k.HardConcreteBackward(LogAlpha, Noise, dz, LogAlphaGrad, dzShift);
        return Total(LogAlphaGrad, squares: true);
    }

    /// <summary>Scales the gradient (clipping), then one AdamW update of log α.</summary>
    public void Update(float gradScale, AdamWStep step)
    {
        if (gradScale != 1f) _backend.Gradients.Scale(LogAlphaGrad, gradScale, LogAlphaGrad);
        _k.AdamW(LogAlpha, LogAlphaGrad, First, Second, step);
    }

    private double Total(Tensor x, bool squares)
    {
        _k.Sum(x, squares, _total);
        return SumTotal.Read(_backend.Download(_total).Span);
    }
}
