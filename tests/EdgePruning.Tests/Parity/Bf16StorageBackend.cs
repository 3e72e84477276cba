using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Kernels.Gradients;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Tests.Parity;

/// <summary>
/// A host backend that stores tensors in f32 or bf16 and computes in f32, rounding every output to its
/// tensor's dtype: what a GPU backend with bf16 storage does, so the bf16 path of the parity suite (inputs
/// rounded for the oracle, bf16 tolerances) can be tested without a GPU. The gradients work the same way; the
/// training kernels take f32 only and the masked read is the CPU engine's (or the one a test sets), which hands a
/// bf16 D, y, dY or dD to the reference (that reads and writes bf16 itself).
/// </summary>
public sealed class Bf16StorageBackend : IKernelBackend
{
    public string Name => "bf16-host";
    public string Description => "CPU kernels over bf16 storage (test backend)";
    public IKernels Kernels { get; } = new Bf16StorageKernels(CpuKernels.Instance);
    public IGradientKernels Gradients { get; } = new Bf16StorageGradients(new CpuGradientKernels());
    public ITrainingKernels Training { get; } = new ReferenceTrainingKernels(CpuKernels.Instance);
    public IMaskedReadKernels MaskedRead { get; init; } = new CpuMaskedRead(Environment.ProcessorCount);
    public IReadOnlyList<DType> DTypes { get; } = [DType.F32, DType.BF16];
    public Tensor Empty(DType dtype, params int[] dims) => Tensor.Empty(dtype, dims);
    public ITensorScope OpenScope() => new HostTensorScope();
    public Tensor Upload(Tensor host, DType dtype) => host.DType == dtype ? host.Clone() : host.To(dtype);
    public void CopyFromHost(Tensor host, Tensor destination) => HostCopy.Copy(host, destination);
    public Tensor Download(Tensor tensor) => tensor.DType == DType.F32 ? tensor.Clone() : tensor.ToF32();
    public void Synchronize() { }
    public void Reset() { }
    public int LiveAllocations => 0;
    public void Dispose() { }

    private static Tensor Wide(Tensor t) => t.DType == DType.F32 ? t : t.ToF32();

    /// <summary>The f32 result into its tensor, rounded to nearest even when that tensor is bf16.</summary>
    private static void Store(Tensor source, Tensor destination) => CpuKernels.Instance.Copy(source, destination);

    /// <summary>Each call: inputs widened to f32, the f32 backward adding into f32 copies of the gradients, which are rounded back.</summary>
    private sealed class Bf16StorageGradients(IGradientKernels f32) : IGradientKernels
    {
        /// <summary>Runs <paramref name="op"/> on f32 views of the gradients (null stays null), then stores each back.</summary>
        private static void Into(Tensor?[] gradients, Action<Tensor?[]> op)
        {
            var wide = gradients.Select(g => g is null ? null : g.DType == DType.F32 ? g : g.ToF32()).ToArray();
            op(wide);
            for (int i = 0; i < gradients.Length; i++)
                if (gradients[i] is { } g && !ReferenceEquals(wide[i], g)) Store(wide[i]!, g);
        }

        private static void Into(Tensor gradient, Action<Tensor> op) => Into([gradient], w => op(w[0]!));

        public void Fill(Tensor x, float value) => Into(x, w => f32.Fill(w, value));
        public void FillNormal(Tensor x, float std, ulong seed) => Into(x, w => f32.FillNormal(w, std, seed));

        public void Scale(Tensor x, float alpha, Tensor y)
        {
            var wx = Wide(x);
            Into(y, wy => f32.Scale(wx, alpha, wy));
        }

        public void Axpy(float alpha, Tensor x, Tensor y) => Into(y, wy => f32.Axpy(alpha, Wide(x), wy));

        public void ScaleBy(Tensor x, Tensor factor, float alpha, Tensor y, bool accumulate)
        {
            var wx = Wide(x);
            Into(y, wy => f32.ScaleBy(wx, Wide(factor), alpha, wy, accumulate));
        }

        public void LayerNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
            Into(dx, w => f32.LayerNormBackward(Wide(x), Wide(gamma), Wide(dy), w, eps));

        public void RmsNormBackward(Tensor x, Tensor gamma, Tensor dy, Tensor dx, float eps) =>
            Into(dx, w => f32.RmsNormBackward(Wide(x), Wide(gamma), Wide(dy), w, eps));

        public void ActivationBackward(Activation activation, Tensor x, Tensor dy, Tensor dx) =>
            Into(dx, w => f32.ActivationBackward(activation, Wide(x), Wide(dy), w));

        public void SwiGluBackward(Tensor gate, Tensor up, Tensor dy, Tensor? dGate, Tensor? dUp) =>
            Into([dGate, dUp], w => f32.SwiGluBackward(Wide(gate), Wide(up), Wide(dy), w[0], w[1]));

        public void RopeBackward(Tensor grad, int startPos, float theta) => Into(grad, w => f32.RopeBackward(w, startPos, theta));

        public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor dOut, Tensor? dq, Tensor? dk, Tensor? dv, bool causal,
            float scale, ReadOnlySpan<bool> keyMask = default)
        {
            var mask = keyMask.ToArray();
            Into([dq, dk, dv], w => f32.AttentionBackward(Wide(q), Wide(k), Wide(v), Wide(dOut), w[0], w[1], w[2], causal, scale, mask));
        }
    }

    /// <summary>Each call: inputs widened to f32, the f32 kernel, the output rounded back into its tensor.</summary>
    private sealed class Bf16StorageKernels(IKernels f32) : IKernels
    {
        private static Tensor? WideOrNull(Tensor? t) => t is null ? null : Wide(t);
        private static Tensor Scratch(Tensor like) => like.DType == DType.F32 ? like : Tensor.Empty(DType.F32, like.Shape.Dims.ToArray());

        /// <summary>Runs <paramref name="op"/> on an f32 view of <paramref name="y"/> (pre-filled with y's values) and stores it back.</summary>
        private static void Into(Tensor y, Action<Tensor> op)
        {
            var wide = y.DType == DType.F32 ? y : y.ToF32();
            op(wide);
            if (!ReferenceEquals(wide, y)) Store(wide, y);
        }

        public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f) =>
            Into(c, wc => f32.Gemm(Wide(a), transA, Wide(b), transB, wc, alpha, beta));

        public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y) => Into(y, wy => f32.Linear(Wide(x), Wide(w), WideOrNull(bias), wy));

        public void BatchedLinear(Tensor x, Tensor w, Tensor? bias, Tensor y) =>
            Into(y, wy => f32.BatchedLinear(Wide(x), Wide(w), WideOrNull(bias), wy));

        public void BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f) =>
            Into(c, wc => f32.BatchedGemm(Wide(a), transA, Wide(b), transB, wc, alpha, beta));

        public void LayerNorm(Tensor x, Tensor gamma, Tensor? beta, Tensor y, float eps) =>
            Into(y, wy => f32.LayerNorm(Wide(x), Wide(gamma), WideOrNull(beta), wy, eps));

        public void RmsNorm(Tensor x, Tensor gamma, Tensor y, float eps) => Into(y, wy => f32.RmsNorm(Wide(x), Wide(gamma), wy, eps));
        public void Softmax(Tensor x) => Into(x, f32.Softmax);

        public void Activate(Activation activation, Tensor x, Tensor y)
        {
            var wx = Wide(x);
            Into(y, wy => f32.Activate(activation, wx, wy));
        }

        public void SwiGlu(Tensor gate, Tensor up, Tensor y)
        {
            Tensor wg = Wide(gate), wu = Wide(up);
            Into(y, wy => f32.SwiGlu(wg, wu, wy));
        }

        public void Add(Tensor a, Tensor b, Tensor y)
        {
            Tensor wa = Wide(a), wb = Wide(b);
            Into(y, wy => f32.Add(wa, wb, wy));
        }

        public void Copy(Tensor source, Tensor destination) => f32.Copy(source, destination);

        public void Embedding(Tensor table, ReadOnlySpan<int> ids, Tensor y)
        {
            var wy = Scratch(y);
            f32.Embedding(Wide(table), ids, wy);
            if (!ReferenceEquals(wy, y)) Store(wy, y);
        }

        public void Rope(Tensor x, int startPos, float theta) => Into(x, wx => f32.Rope(wx, startPos, theta));

        public void Attention(Tensor q, Tensor k, Tensor v, Tensor output, int keyCount, int queryStart, bool causal, float scale,
            ReadOnlySpan<bool> keyMask = default)
        {
            var wo = Scratch(output);
            f32.Attention(Wide(q), Wide(k), Wide(v), wo, keyCount, queryStart, causal, scale, keyMask);
            if (!ReferenceEquals(wo, output)) Store(wo, output);
        }
    }
}
