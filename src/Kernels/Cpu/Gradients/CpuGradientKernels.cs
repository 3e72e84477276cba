using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// <see cref="IGradientKernels"/> on the host (f32): the backward code of the autodiff ops, with the
/// statistics recomputed. Attention recomputes its probabilities into a buffer that grows and is kept (a task's
/// batches differ in length, so the shape rarely repeats).
/// Not for concurrent callers.
/// </summary>
public sealed class CpuGradientKernels : IGradientKernels
{
    private Tensor? _probabilities;

    public void Fill(Tensor x, float value) => x.Span.Fill(value);

    public void FillNormal(Tensor x, float std, ulong seed) => RandomNormal.Fill(x.Span, std, seed);

    public void Scale(Tensor x, float alpha, Tensor y)
    {
        GradientChecks.Require(x.Count == y.Count, $"scale: x {x.Shape}, y {y.Shape}");
        TensorPrimitives.Multiply(x.Span, alpha, y.Span);
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        GradientChecks.Require(x.Count == y.Count, $"axpy: x {x.Shape}, y {y.Shape}");
        TensorPrimitives.MultiplyAdd(x.Span, alpha, y.Span, y.Span);
    }

    public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate)
    {
        GradientChecks.Require(x.Count == y.Count && factor.Count > 0 && x.Count % factor.Count == 0 && factor.DType == DType.F32,
            $"scale by: x {x.Shape}, factor {factor.Shape} ({factor.DType.Name()}, one f32 element per row of x), y {y.Shape}");
        int rows = checked((int)factor.Count), cols = checked((int)(x.Count / rows));
        var f = factor.Span;
        for (int r = 0; r < rows; r++)
        {
            float a = alpha * f[r];
            var xr = x.Span.Slice(r * cols, cols);
            var yr = y.Span.Slice(r * cols, cols);
            if (accumulate) TensorPrimitives.MultiplyAdd(xr, a, yr, yr);
            else TensorPrimitives.Multiply(xr, a, yr);
        }
    }

    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
        NormGradients.LayerNormBackward(x, gamma, dy, dx, eps);

    public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
        NormGradients.RmsNormBackward(x, gamma, dy, dx, eps);

    public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx) =>
        ActivationGradients.Backward(activation, x, dy, dx);

    public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp) =>
        ActivationGradients.SwiGluBackward(gate, up, dy, dGate, dUp);

    public void RopeBackward(Tensor grad, int startPos, float theta) =>
        RopeGradients.Rotate(grad, grad, startPos, theta, accumulate: false);

    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        var g = AttentionGeometry.Of(q, k, v, dOut, k.Shape[1], keyMask);
        long count = (long)g.Batch * g.Heads * g.Queries * g.MaxKeys;
        if (_probabilities is null || _probabilities.Count < count) _probabilities = Tensor.Empty(DType.F32, checked((int)count));
        var p = _probabilities.Rows(0, (int)count);
        AttentionGradients.Forward(g, q, k, v, null, p, scale, causal, 0, keyMask);
        AttentionGradients.Backward(g, q, k, v, p, dOut, dq, dk, dv, scale, causal, 0);
    }
}
