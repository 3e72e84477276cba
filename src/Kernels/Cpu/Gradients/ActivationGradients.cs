using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host backward of the activations and of SwiGLU, elementwise in float. Derivatives are float versions of
/// <see cref="ActivationMath.Derivative"/>.
/// </summary>
public static class ActivationGradients
{
    private const float Sqrt2OverPi = 0.7978845608f;
    private const float GeluCubic = 0.044715f;
    private const float InvSqrt2 = 0.70710678f;
    private const float InvSqrt2Pi = 0.39894228f;
    private const int Chunk = 4096;

    /// <summary>dx += dy·act′(x).</summary>
    public static void Backward(Activation activation, Tensor x, Tensor dy, Tensor dx)
    {
        HostLoops.Require(dy.Count == x.Count && dx.Count == x.Count, $"activation backward: x {x.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        int n = checked((int)x.Count);
        HostLoops.For((n + Chunk - 1) / Chunk, Chunk * 8L, c =>
        {
            int start = c * Chunk, len = Math.Min(Chunk, n - start);
            var X = x.Span.Slice(start, len);
            var G = dy.Span.Slice(start, len);
            var D = dx.Span.Slice(start, len);
            for (int i = 0; i < len; i++) D[i] += G[i] * Derivative(activation, X[i]);
        });
    }

    /// <summary>dGate += dy·up·silu′(gate); dUp += dy·silu(gate).</summary>
    public static void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp)
    {
        HostLoops.Require(gate.Count == up.Count && dy.Count == up.Count && (dGate is null || dGate.Count == up.Count)
            && (dUp is null || dUp.Count == up.Count), $"swiglu backward: gate {gate.Shape}, up {up.Shape}, dy {dy.Shape}");
        int n = checked((int)gate.Count);
        HostLoops.For((n + Chunk - 1) / Chunk, Chunk * 8L, c =>
        {
            int start = c * Chunk, len = Math.Min(Chunk, n - start);
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

    /// <summary>d act(x)/dx in float.</summary>
    public static float Derivative(Activation activation, float x)
    {
        switch (activation)
        {
            case Activation.GeluErf:
                return 0.5f * (1f + Erf(x * InvSqrt2)) + x * MathF.Exp(-0.5f * x * x) * InvSqrt2Pi;
            case Activation.GeluTanh:
            {
                float t = MathF.Tanh(Sqrt2OverPi * (x + GeluCubic * x * x * x));
                float du = Sqrt2OverPi * (1f + 3f * GeluCubic * x * x);
                return 0.5f * (1f + t) + 0.5f * x * (1f - t * t) * du;
            }
            case Activation.Relu:
                return x > 0 ? 1f : 0f;
            case Activation.Silu:
            {
                float s = 1f / (1f + MathF.Exp(-x));
                return s * (1f + x * (1f - s));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>erf by Abramowitz–Stegun 7.1.26 (absolute error below 1.5e-7, under f32 resolution near 1).</summary>
    public static float Erf(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + 0.3275911f * ax);
        float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
        float y = 1f - poly * MathF.Exp(-ax * ax);
        return x < 0 ? -y : y;
    }
}
