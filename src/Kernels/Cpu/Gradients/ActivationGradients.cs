using System.Runtime.Intrinsics;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cpu.Gradients;

/// <summary>
/// Host backward of the activations and of SwiGLU, elementwise in float vectors of 16 lanes, from the forward's own
/// sigmoid and erf (<see cref="CpuActivations"/>). <see cref="Derivative(Activation, float)"/> is the scalar float
/// version of <see cref="ActivationMath.Derivative"/>.
/// </summary>
public static class ActivationGradients
{
    private const float Sqrt2OverPi = 0.7978845608f;
    private const float GeluCubic = 0.044715f;
    private const float InvSqrt2 = 0.70710678f;
    private const float InvSqrt2Pi = 0.39894228f;
    private const int Chunk = 4096;
    private const int Lanes = 16;

    /// <summary>dx += dy·act′(x).</summary>
    public static void Backward(Activation activation, Tensor x, Tensor dy, Tensor dx)
    {
        GradientChecks.Require(dy.Count == x.Count && dx.Count == x.Count, $"activation backward: x {x.Shape}, dy {dy.Shape}, dx {dx.Shape}");
        int n = checked((int)x.Count);
        CpuParallelFor.For((n + Chunk - 1) / Chunk, Chunk * 8L, c =>
        {
            int start = c * Chunk, len = Math.Min(Chunk, n - start);
            var X = x.Span.Slice(start, len);
            var G = dy.Span.Slice(start, len);
            var D = dx.Span.Slice(start, len);
            int i = 0;
            for (; i + Lanes <= len; i += Lanes)
            {
                var d = Vector512.Create(X.Slice(i, Lanes));
                (Vector512.Create(D.Slice(i, Lanes)) + Vector512.Create(G.Slice(i, Lanes)) * Derivative(activation, d)).CopyTo(D.Slice(i, Lanes));
            }
            if (i == len) return;
            Span<float> tail = stackalloc float[Lanes];
            tail.Clear();
            X[i..].CopyTo(tail);
            var rest = Derivative(activation, Vector512.Create((ReadOnlySpan<float>)tail));
            for (int r = 0; i + r < len; r++) D[i + r] += G[i + r] * rest[r];
        });
    }

    /// <summary>act′(x) in 16 lanes, from the forward's own sigmoid and erf (<see cref="CpuActivations"/>).</summary>
    private static Vector512<float> Derivative(Activation activation, Vector512<float> x)
    {
        switch (activation)
        {
            case Activation.GeluErf:
                // Φ(x) + x·φ(x)
                return CpuActivations.OnePlusErf(x * InvSqrt2) * 0.5f + x * Vector512.Exp(x * x * -0.5f) * InvSqrt2Pi;
            case Activation.GeluTanh:
            {
                // With s = sigmoid(2u) = (1 + tanh u)/2: s + x·2s(1 − s)·u′.
                var x2 = x * x;
                var u = x * Sqrt2OverPi * Vector512.FusedMultiplyAdd(x2, Vector512.Create(GeluCubic), Vector512<float>.One);
                var du = Vector512.FusedMultiplyAdd(x2, Vector512.Create(3f * GeluCubic * Sqrt2OverPi), Vector512.Create(Sqrt2OverPi));
                var s = CpuActivations.Sigmoid(u + u);
                return s + x * (s + s) * (Vector512<float>.One - s) * du;
            }
            case Activation.Relu:
                return Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), Vector512<float>.One, Vector512<float>.Zero);
            case Activation.Silu:
            {
                var s = CpuActivations.Sigmoid(x);
                return s * Vector512.FusedMultiplyAdd(x, Vector512<float>.One - s, Vector512<float>.One);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(activation));
        }
    }

    /// <summary>dGate += dy·up·silu′(gate); dUp += dy·silu(gate).</summary>
    public static void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp)
    {
        GradientChecks.Require(gate.Count == up.Count && dy.Count == up.Count && (dGate is null || dGate.Count == up.Count)
            && (dUp is null || dUp.Count == up.Count), $"swiglu backward: gate {gate.Shape}, up {up.Shape}, dy {dy.Shape}");
        int n = checked((int)gate.Count);
        CpuParallelFor.For((n + Chunk - 1) / Chunk, Chunk * 8L, c =>
        {
            int start = c * Chunk, len = Math.Min(Chunk, n - start);
            var G = gate.Span.Slice(start, len);
            var U = up.Span.Slice(start, len);
            var Y = dy.Span.Slice(start, len);
            var dg = dGate is null ? default : dGate.Span.Slice(start, len);
            var du = dUp is null ? default : dUp.Span.Slice(start, len);
            int i = 0;
            for (; i + Lanes <= len; i += Lanes)
            {
                var x = Vector512.Create(G.Slice(i, Lanes));
                var y = Vector512.Create(Y.Slice(i, Lanes));
                var s = CpuActivations.Sigmoid(x);
                if (dGate is not null)
                    (Vector512.Create(dg.Slice(i, Lanes)) + y * Vector512.Create(U.Slice(i, Lanes)) * s
                        * Vector512.FusedMultiplyAdd(x, Vector512<float>.One - s, Vector512<float>.One)).CopyTo(dg.Slice(i, Lanes));
                if (dUp is not null) (Vector512.Create(du.Slice(i, Lanes)) + y * x * s).CopyTo(du.Slice(i, Lanes));
            }
            for (; i < len; i++)
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
