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
/// rounded for the oracle, bf16 tolerances) can be tested without a GPU.
/// </summary>
public sealed class Bf16StorageBackend : IKernelBackend
{
    public string Name => "bf16-host";
    public string Description => "CPU kernels over bf16 storage (test backend)";
    public IKernels Kernels { get; } = new Bf16StorageKernels(CpuKernels.Instance);
    public IGradientKernels Gradients { get; } = new CpuGradientKernels();
    public ITrainingKernels Training { get; } = new ReferenceTrainingKernels(CpuKernels.Instance);
    public IMaskedReadKernels MaskedRead => MaskedReadReference.Instance;
    public IReadOnlyList<DType> DTypes { get; } = [DType.F32, DType.BF16];
    public Tensor Empty(DType dtype, params int[] dims) => Tensor.Empty(dtype, dims);
    public Tensor Upload(Tensor host, DType dtype) => host.DType == dtype ? host.Clone() : host.To(dtype);
    public Tensor Download(Tensor tensor) => tensor.DType == DType.F32 ? tensor.Clone() : tensor.ToF32();
    public void Synchronize() { }
    public void Reset() { }
    public int LiveAllocations => 0;
    public void Dispose() { }

    /// <summary>Each call: inputs widened to f32, the f32 kernel, the output rounded back into its tensor.</summary>
    private sealed class Bf16StorageKernels(IKernels f32) : IKernels
    {
        private static Tensor Wide(Tensor t) => t.DType == DType.F32 ? t : t.ToF32();
        private static Tensor? WideOrNull(Tensor? t) => t is null ? null : Wide(t);
        private static Tensor Scratch(Tensor like) => like.DType == DType.F32 ? like : Tensor.Empty(DType.F32, like.Shape.Dims.ToArray());

        /// <summary>Runs <paramref name="op"/> on an f32 view of <paramref name="y"/> (pre-filled with y's values) and stores it back.</summary>
        private static void Into(Tensor y, Action<Tensor> op)
        {
            var wide = y.DType == DType.F32 ? y : y.ToF32();
            op(wide);
            if (!ReferenceEquals(wide, y)) Store(wide, y);
        }

        /// <summary>The f32 result into its tensor, rounded to nearest even when that tensor is bf16.</summary>
        private static void Store(Tensor source, Tensor destination) => CpuKernels.Instance.Copy(source, destination);

        public void Gemm(Tensor a, bool transA, Tensor b, bool transB, Tensor c, float alpha = 1f, float beta = 0f) =>
            Into(c, wc => f32.Gemm(Wide(a), transA, Wide(b), transB, wc, alpha, beta));

        public void Linear(Tensor x, Tensor w, Tensor? bias, Tensor y) => Into(y, wy => f32.Linear(Wide(x), Wide(w), WideOrNull(bias), wy));

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
