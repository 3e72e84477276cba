using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>
/// The CPU backend with one kernel set replaced, or missing (its property throws, as on a backend that does
/// not offer it yet).
/// </summary>
public sealed class ReplacedSetBackend(IGradientKernels? gradients = null, ITrainingKernels? training = null,
    IMaskedReadKernels? maskedRead = null, string? gradientsMissing = null) : IKernelBackend
{
    private readonly CpuKernelBackend _cpu = new();

    public string Name => _cpu.Name;
    public string Description => "CPU kernels with one kernel set replaced (test backend)";
    public IKernels Kernels => _cpu.Kernels;
    public IGradientKernels Gradients => gradientsMissing is null ? gradients ?? _cpu.Gradients : throw new NotSupportedException(gradientsMissing);
    public ITrainingKernels Training => training ?? _cpu.Training;
    public IMaskedReadKernels MaskedRead => maskedRead ?? _cpu.MaskedRead;
    public IReadOnlyList<DType> DTypes => _cpu.DTypes;
    public Tensor Empty(DType dtype, params int[] dims) => _cpu.Empty(dtype, dims);
    public ITensorScope OpenScope() => _cpu.OpenScope();
    public Tensor Upload(Tensor host, DType dtype) => _cpu.Upload(host, dtype);
    public void CopyFromHost(Tensor host, Tensor destination) => _cpu.CopyFromHost(host, destination);
    public Tensor Download(Tensor tensor) => _cpu.Download(tensor);
    public void Synchronize() { }
    public void Reset() { }
    public int LiveAllocations => 0;
    public void Dispose() => _cpu.Dispose();
}

/// <summary>Training kernels whose masked edge sum ignores the visible prefixes (every reader sees every writer).</summary>
public sealed class VisibleIgnoredTrainingKernels(ITrainingKernels inner) : ITrainingKernels
{
    public void HardConcrete(Tensor logAlpha, Tensor uniform, Tensor z) => inner.HardConcrete(logAlpha, uniform, z);
    public void HardConcreteBackward(Tensor logAlpha, Tensor uniform, Tensor dz, Tensor dLogAlpha, float dzShift = 0) =>
        inner.HardConcreteBackward(logAlpha, uniform, dz, dLogAlpha, dzShift);
    public void MaskNoise(Tensor u, ulong seed) => inner.MaskNoise(u, seed);
    public void Sum(Tensor x, bool squares, Tensor total) => inner.Sum(x, squares, total);
    public void MaskedEdgeSum(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor c, Tensor x) => inner.MaskedEdgeSum(z, [], d, c, x);
    public void MaskedEdgeSumBackward(Tensor z, ReadOnlySpan<int> visible, Tensor d, Tensor dx, Tensor? dz, Tensor? dd) =>
        inner.MaskedEdgeSumBackward(z, [], d, dx, dz, dd);
    public void KlDivergence(Tensor full, Tensor circuit, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Tensor rowKl, Tensor dCircuit, float gradScale) =>
        inner.KlDivergence(full, circuit, rows, columns, rowKl, dCircuit, gradScale);
    public void SequenceKl(Tensor full, Tensor circuit, ReadOnlySpan<int> offsets, ReadOnlySpan<int> rows, Tensor seqKl, Tensor dCircuit, float gradScale) =>
        inner.SequenceKl(full, circuit, offsets, rows, seqKl, dCircuit, gradScale);
    public void AdamW(Tensor parameters, Tensor gradients, Tensor first, Tensor second, AdamWStep step) => inner.AdamW(parameters, gradients, first, second, step);
}

/// <summary>Gradient kernels whose attention backward ignores the key mask.</summary>
public sealed class KeyMaskIgnoredGradientKernels(IGradientKernels inner) : IGradientKernels
{
    public void Fill(Tensor x, float value) => inner.Fill(x, value);
    public void FillNormal(Tensor x, float std, ulong seed) => inner.FillNormal(x, std, seed);
    public void Scale(Tensor x, float alpha, Tensor y) => inner.Scale(x, alpha, y);
    public void Axpy(float alpha, Tensor x, Tensor y) => inner.Axpy(alpha, x, y);
    public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate) => inner.ScaleBy(x, factor, alpha, y, accumulate);
    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) => inner.LayerNormBackward(x, gamma, dy, dx, eps);
    public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) => inner.RmsNormBackward(x, gamma, dy, dx, eps);
    public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx) => inner.ActivationBackward(activation, x, dy, dx);
    public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp) => inner.SwiGluBackward(gate, up, dy, dGate, dUp);
    public void RopeBackward(Tensor grad, int startPos, float theta) => inner.RopeBackward(grad, startPos, theta);
    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal, float scale,
        ReadOnlySpan<bool> keyMask = default) => inner.AttentionBackward(q, k, v, dOut, dq, dk, dv, causal, scale);
}

/// <summary>A masked read whose backward overwrites the stack gradient dD instead of adding into it (host tensors).</summary>
public sealed class StackGradientOverwrittenMaskedRead(IMaskedReadKernels inner) : IMaskedReadKernels
{
    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd) =>
        inner.Forward(z, stack, corrupted, norm, y, mean, rstd);

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd, Tensor outputGrad,
        Tensor? dz, Tensor? dStack, Tensor? dCorrupted)
    {
        dStack?.Bytes.Clear();
        inner.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, dCorrupted);
    }
}

/// <summary>A masked read whose backward leaves out the gradient of the corrupted sum.</summary>
public sealed class CorruptedGradientDroppedMaskedRead(IMaskedReadKernels inner) : IMaskedReadKernels
{
    public void Forward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor y, Tensor? mean, Tensor? rstd) =>
        inner.Forward(z, stack, corrupted, norm, y, mean, rstd);

    public void Backward(Tensor z, Tensor stack, Tensor corrupted, MaskedReadNorm norm, Tensor? mean, Tensor rstd, Tensor outputGrad,
        Tensor? dz, Tensor? dStack, Tensor? dCorrupted) =>
        inner.Backward(z, stack, corrupted, norm, mean, rstd, outputGrad, dz, dStack, null);
}
