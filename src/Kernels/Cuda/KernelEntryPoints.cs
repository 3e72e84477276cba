using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cuda;

/// <summary>A kernel of kernels-cu/ by source file and name; typed kernels add "_f32" or "_bf16" to the name.</summary>
internal readonly record struct KernelName(string File, string Name);

/// <summary>
/// Every kernel <see cref="CudaKernels"/> launches, in one table, so that a test without a GPU can check
/// each name against the sources.
/// </summary>
internal static class KernelEntryPoints
{
    public static readonly KernelName Embedding = new("embedding.cu", "embedding_forward");
    public static readonly KernelName LayerNorm = new("layernorm.cu", "layernorm_forward");
    public static readonly KernelName RmsNorm = new("rmsnorm.cu", "rmsnorm_forward");
    public static readonly KernelName Softmax = new("softmax.cu", "softmax_forward");
    public static readonly KernelName GeluErf = new("activation.cu", "gelu_erf_forward");
    public static readonly KernelName GeluTanh = new("activation.cu", "gelu_tanh_forward");
    public static readonly KernelName Relu = new("activation.cu", "relu_forward");
    public static readonly KernelName Silu = new("activation.cu", "silu_forward");
    public static readonly KernelName SwiGlu = new("swiglu.cu", "swiglu_forward");
    public static readonly KernelName Add = new("residual.cu", "add_forward");
    public static readonly KernelName BiasBroadcast = new("bias.cu", "bias_broadcast");
    public static readonly KernelName Rope = new("rope.cu", "rope_forward");
    public static readonly KernelName AttentionShort = new("attention.cu", "attention_short");
    public static readonly KernelName AttentionLong = new("attention.cu", "attention_long");

    /// <summary>The kernels built for f32 and bf16 storage.</summary>
    public static IReadOnlyList<KernelName> Typed { get; } =
    [
        Embedding, LayerNorm, RmsNorm, Softmax, GeluErf, GeluTanh, Relu, Silu, SwiGlu, Add, BiasBroadcast, Rope,
        AttentionShort, AttentionLong,
    ];

    public const string ConvertFile = "convert.cu";

    /// <summary>The conversion kernel from <paramref name="source"/> to <paramref name="destination"/> storage.</summary>
    public static string Convert(DType source, DType destination) => $"convert_{source.Name()}_to_{destination.Name()}";
}
