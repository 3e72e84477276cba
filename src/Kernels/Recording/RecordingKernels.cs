using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Recording;

/// <summary>
/// An <see cref="IKernels"/> that forwards every call to an inner implementation and records it
/// (<see cref="RecordingKernelSet{TKernels}"/>). Gemm and Linear launches carry their 2·m·n·k, the batched
/// ones their 2·B·m·n·k.
/// </summary>
public sealed class RecordingKernels(IKernels inner, LaunchRecorder? recorder = null)
    : RecordingKernelSet<IKernels>(inner, recorder), IKernels
{
    private protected override KernelFamily Family => KernelFamily.Kernels;
    private protected override IKernels Of(IKernelBackend backend) => backend.Kernels;

    public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        if (Executes) Inner.Gemm(a, transA, b, transB, c, alpha, beta);
        if (!IsRecording) return;
        long m = transA ? a.Shape.Cols : a.Shape.Rows, k = transA ? a.Shape.Rows : a.Shape.Cols;
        long n = transB ? b.Shape.Rows : b.Shape.Cols;
        Record(nameof(Gemm), [T("a", a), T("b", b), T("c", c)],
            [new("transA", transA), new("transB", transB), new("alpha", alpha), new("beta", beta)], 2.0 * m * n * k,
            kk => kk.Gemm(a, transA, b, transB, c, alpha, beta));
    }

    public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        if (Executes) Inner.Linear(x, w, bias, y);
        if (!IsRecording) return;
        Record(nameof(Linear), Given(("x", x), ("w", w), ("bias", bias), ("y", y)), [], 2.0 * x.Shape.Rows * x.Shape.Cols * w.Shape.Rows,
            kk => kk.Linear(x, w, bias, y));
    }

    public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y)
    {
        if (Executes) Inner.BatchedLinear(x, w, bias, y);
        if (!IsRecording) return;
        var g = BatchedProductGeometry.OfLinear(x, w, bias, y);
        Record(nameof(BatchedLinear), Given(("x", x), ("w", w), ("bias", bias), ("y", y)), [], g.Flops,
            kk => kk.BatchedLinear(x, w, bias, y));
    }

    public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f)
    {
        if (Executes) Inner.BatchedGemm(a, transA, b, transB, c, alpha, beta);
        if (!IsRecording) return;
        var g = BatchedProductGeometry.OfGemm(a, transA, b, transB, c);
        Record(nameof(BatchedGemm), [T("a", a), T("b", b), T("c", c)],
            [new("transA", transA), new("transB", transB), new("alpha", alpha), new("beta", beta)], g.Flops,
            kk => kk.BatchedGemm(a, transA, b, transB, c, alpha, beta));
    }

    public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps)
    {
        if (Executes) Inner.LayerNorm(x, gamma, beta, y, eps);
        if (!IsRecording) return;
        Record(nameof(LayerNorm), Given(("x", x), ("gamma", gamma), ("beta", beta), ("y", y)), [new("eps", eps)], 0,
            kk => kk.LayerNorm(x, gamma, beta, y, eps));
    }

    public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps)
    {
        if (Executes) Inner.RmsNorm(x, gamma, y, eps);
        if (!IsRecording) return;
        Record(nameof(RmsNorm), [T("x", x), T("gamma", gamma), T("y", y)], [new("eps", eps)], 0, kk => kk.RmsNorm(x, gamma, y, eps));
    }

    public void Softmax(Tensor x)
    {
        if (Executes) Inner.Softmax(x);
        if (!IsRecording) return;
        Record(nameof(Softmax), [T("x", x)], [], 0, kk => kk.Softmax(x));
    }

    public void Activate(Activation activation, Tensor x, Tensor y)
    {
        if (Executes) Inner.Activate(activation, x, y);
        if (!IsRecording) return;
        Record(nameof(Activate), [T("x", x), T("y", y)], [new("activation", activation)], 0, kk => kk.Activate(activation, x, y));
    }

    public void SwiGlu(Tensor gate, Tensor up, Tensor y)
    {
        if (Executes) Inner.SwiGlu(gate, up, y);
        if (!IsRecording) return;
        Record(nameof(SwiGlu), [T("gate", gate), T("up", up), T("y", y)], [], 0, kk => kk.SwiGlu(gate, up, y));
    }

    public void Copy(Tensor source, Tensor destination)
    {
        if (Executes) Inner.Copy(source, destination);
        if (!IsRecording) return;
        Record(nameof(Copy), [T("source", source), T("destination", destination)], [], 0, kk => kk.Copy(source, destination));
    }

    public void Add(Tensor a, Tensor b, Tensor y)
    {
        if (Executes) Inner.Add(a, b, y);
        if (!IsRecording) return;
        Record(nameof(Add), [T("a", a), T("b", b), T("y", y)], [], 0, kk => kk.Add(a, b, y));
    }

    public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y)
    {
        if (Executes) Inner.Embedding(table, ids, y);
        if (!IsRecording) return;
        var captured = ids.ToArray();
        Record(nameof(Embedding), [T("table", table), T("y", y)], [new("ids", captured.Length)], 0,
            kk => kk.Embedding(table, captured, y), new LaunchHostArray("ids", captured));
    }

    public void Rope(Tensor x, int startPos, float theta)
    {
        if (Executes) Inner.Rope(x, startPos, theta);
        if (!IsRecording) return;
        Record(nameof(Rope), [T("x", x)], [new("startPos", startPos), new("theta", theta)], 0, kk => kk.Rope(x, startPos, theta));
    }

    public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal,
        float scale, ReadOnlySpan<bool> keyMask = default)
    {
        if (Executes) Inner.Attention(q, k, v, output, keyCount, queryStart, causal, scale, keyMask);
        if (!IsRecording) return;
        bool[]? mask = keyMask.IsEmpty ? null : keyMask.ToArray();
        Record(nameof(Attention), [T("q", q), T("k", k), T("v", v), T("output", output)],
            [new("keyCount", keyCount), new("queryStart", queryStart), new("causal", causal), new("scale", scale), new("keyMask", mask is not null)], 0,
            kk => kk.Attention(q, k, v, output, keyCount, queryStart, causal, scale, mask),
            mask is null ? [] : [new LaunchHostArray("keyMask", mask)]);
    }
}
