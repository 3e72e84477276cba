using EdgePruning.Kernels;
using EdgePruning.Runtime;

namespace EdgePruning.Autodiff.Ops;

/// <summary>
/// y = silu(gate)·up elementwise (Llama's MLP). The backward needs gate and up, so y must not alias
/// either when a backward follows.
/// </summary>
public static class SwiGluOp
{
    public static void Forward(IKernels kernels, Tensor gate, Tensor up, Tensor y) => kernels.SwiGlu(gate, up, y);

    /// <summary>dGate += dy·up·silu′(gate); dUp += dy·silu(gate).</summary>
    public static void Backward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp)
    {
        OpChecks.Require(gate.Count == up.Count && dy.Count == up.Count && (dGate is null || dGate.Count == up.Count)
            && (dUp is null || dUp.Count == up.Count), $"swiglu backward: gate {gate.Shape}, up {up.Shape}, dy {dy.Shape}");
        const int chunk = 4096;
        int n = checked((int)gate.Count);
        OpChecks.For((n + chunk - 1) / chunk, chunk * 8L, c =>
        {
            int start = c * chunk, len = Math.Min(chunk, n - start);
            var G = gate.Span.Slice(start, len);
            var U = up.Span.Slice(start, len);
            var Y = dy.Span.Slice(start, len);
            var dg = dGate is null ? default : dGate.Span.Slice(start, len);
            var du = dUp is null ? default : dUp.Span.Slice(start, len);
            for (int i = 0; i < len; i++)
            {
                float x = G[i];
                float s = 1f / (1f + MathF.Exp(-x));
                if (dGate is not null) dg[i] += Y[i] * U[i] * s * (1f + x * (1f - s));
                if (dUp is not null) du[i] += Y[i] * x * s;
            }
        });
    }
}
