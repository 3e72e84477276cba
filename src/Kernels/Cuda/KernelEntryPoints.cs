using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Cuda;

/// <summary>A kernel of kernels-cu/ by source file and name; typed kernels add "_f32" or "_bf16" to the name.</summary>
internal readonly record struct KernelName(string File, string Name);

/// <summary>
/// Every kernel <see cref="CudaKernels"/> and <see cref="CudaGradientKernels"/> launch, in one table, so that
/// a test without a GPU can check each name against the sources.
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
    public static readonly KernelName BiasBroadcastBatched = new("bias.cu", "bias_broadcast_batched");
    public static readonly KernelName Rope = new("rope.cu", "rope_forward");
    public static readonly KernelName AttentionShort = new("attention.cu", "attention_short");
    public static readonly KernelName AttentionLong = new("attention.cu", "attention_long");

    public static readonly KernelName Fill = new("vector.cu", "vector_fill");
    public static readonly KernelName FillNormal = new("random.cu", "random_normal");
    public static readonly KernelName Scale = new("vector.cu", "vector_scale");
    public static readonly KernelName Axpy = new("vector.cu", "vector_axpy");
    public static readonly KernelName ScaleBy = new("vector.cu", "vector_scale_by");
    public static readonly KernelName LayerNormBackward = new("norm_backward.cu", "layernorm_backward");
    public static readonly KernelName RmsNormBackward = new("norm_backward.cu", "rmsnorm_backward");
    public static readonly KernelName GeluErfBackward = new("activation_backward.cu", "gelu_erf_backward");
    public static readonly KernelName GeluTanhBackward = new("activation_backward.cu", "gelu_tanh_backward");
    public static readonly KernelName ReluBackward = new("activation_backward.cu", "relu_backward");
    public static readonly KernelName SiluBackward = new("activation_backward.cu", "silu_backward");
    public static readonly KernelName SwiGluBackward = new("swiglu_backward.cu", "swiglu_backward");
    public static readonly KernelName RopeBackward = new("rope.cu", "rope_backward");
    public static readonly KernelName AttentionBackwardRows = new("attention_backward.cu", "attention_backward_rows");
    public static readonly KernelName AttentionBackwardKeys = new("attention_backward.cu", "attention_backward_keys");

    /// <summary>The kernels built for f32 and bf16 storage.</summary>
    public static IReadOnlyList<KernelName> Typed { get; } =
    [
        Embedding, LayerNorm, RmsNorm, Softmax, GeluErf, GeluTanh, Relu, Silu, SwiGlu, Add, BiasBroadcast, BiasBroadcastBatched, Rope,
        AttentionShort, AttentionLong,
        Fill, FillNormal, Scale, Axpy, ScaleBy, LayerNormBackward, RmsNormBackward, GeluErfBackward, GeluTanhBackward, ReluBackward, SiluBackward,
        SwiGluBackward, RopeBackward, AttentionBackwardRows, AttentionBackwardKeys,
    ];

    public const string ConvertFile = "convert.cu";

    /// <summary>The conversion kernel from <paramref name="source"/> to <paramref name="destination"/> storage.</summary>
    public static string Convert(DType source, DType destination) => $"convert_{source.Name()}_to_{destination.Name()}";
}
