using EdgePruning.Kernels.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>An <see cref="IGradientKernels"/> that forwards every call to an inner implementation and records it (<see cref="RecordingKernelSet{TKernels}"/>).</summary>
public sealed class RecordingGradientKernels(IGradientKernels inner, LaunchRecorder? recorder = null)
    : RecordingKernelSet<IGradientKernels>(inner, recorder), IGradientKernels
{
    private protected override KernelFamily Family => KernelFamily.Gradients;
    private protected override IGradientKernels Of(IKernelBackend backend) => backend.Gradients;

    public void Fill(Tensor x, float value)
    {
        if (Executes) Inner.Fill(x, value);
        if (!IsRecording) return;
        Record(nameof(Fill), [T("x", x)], [new("value", value)], 0, g => g.Fill(x, value));
    }

    public void FillNormal(Tensor x, float std, ulong seed)
    {
        if (Executes) Inner.FillNormal(x, std, seed);
        if (!IsRecording) return;
        Record(nameof(FillNormal), [T("x", x)], [new("std", std), new("seed", seed)], 0, g => g.FillNormal(x, std, seed));
    }

    public void Scale(Tensor x, float alpha, Tensor y)
    {
        if (Executes) Inner.Scale(x, alpha, y);
        if (!IsRecording) return;
        Record(nameof(Scale), [T("x", x), T("y", y)], [new("alpha", alpha)], 0, g => g.Scale(x, alpha, y));
    }

    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        if (Executes) Inner.Axpy(alpha, x, y);
        if (!IsRecording) return;
        Record(nameof(Axpy), [T("x", x), T("y", y)], [new("alpha", alpha)], 0, g => g.Axpy(alpha, x, y));
    }

    public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate)
    {
        if (Executes) Inner.ScaleBy(x, factor, alpha, y, accumulate);
        if (!IsRecording) return;
        Record(nameof(ScaleBy), [T("x", x), T("factor", factor), T("y", y)], [new("alpha", alpha), new("accumulate", accumulate)], 0,
            g => g.ScaleBy(x, factor, alpha, y, accumulate));
    }

    public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps)
    {
        if (Executes) Inner.LayerNormBackward(x, gamma, dy, dx, eps);
        if (!IsRecording) return;
        Record(nameof(LayerNormBackward), [T("x", x), T("gamma", gamma), T("dy", dy), T("dx", dx)], [new("eps", eps)], 0,
            g => g.LayerNormBackward(x, gamma, dy, dx, eps));
    }

    public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps)
    {
        if (Executes) Inner.RmsNormBackward(x, gamma, dy, dx, eps);
        if (!IsRecording) return;
        Record(nameof(RmsNormBackward), [T("x", x), T("gamma", gamma), T("dy", dy), T("dx", dx)], [new("eps", eps)], 0,
            g => g.RmsNormBackward(x, gamma, dy, dx, eps));
    }

    public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx)
    {
        if (Executes) Inner.ActivationBackward(activation, x, dy, dx);
        if (!IsRecording) return;
        Record(nameof(ActivationBackward), [T("x", x), T("dy", dy), T("dx", dx)], [new("activation", activation)], 0,
            g => g.ActivationBackward(activation, x, dy, dx));
    }

    public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp)
    {
        if (Executes) Inner.SwiGluBackward(gate, up, dy, dGate, dUp);
        if (!IsRecording) return;
        Record(nameof(SwiGluBackward), Given(("gate", gate), ("up", up), ("dy", dy), ("dGate", dGate), ("dUp", dUp)), [], 0,
            g => g.SwiGluBackward(gate, up, dy, dGate, dUp));
    }

    public void RopeBackward(Tensor grad, int startPos, float theta)
    {
        if (Executes) Inner.RopeBackward(grad, startPos, theta);
        if (!IsRecording) return;
        Record(nameof(RopeBackward), [T("grad", grad)], [new("startPos", startPos), new("theta", theta)], 0,
            g => g.RopeBackward(grad, startPos, theta));
    }

    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        if (Executes) Inner.AttentionBackward(q, k, v, dOut, dq, dk, dv, causal, scale, keyMask);
        if (!IsRecording) return;
        bool[]? mask = keyMask.IsEmpty ? null : keyMask.ToArray();
        Record(nameof(AttentionBackward), Given(("q", q), ("k", k), ("v", v), ("dOut", dOut), ("dq", dq), ("dk", dk), ("dv", dv)),
            [new("causal", causal), new("scale", scale), new("keyMask", mask is not null)], 0,
            g => g.AttentionBackward(q, k, v, dOut, dq, dk, dv, causal, scale, mask),
            mask is null ? [] : [new LaunchHostArray("keyMask", mask)]);
    }
}
