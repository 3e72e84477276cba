namespace EdgePruning.Runtime;

/// <summary>Element type of a tensor's storage. CPU math is always f32; f16/bf16 are storage formats.</summary>
public enum DType
{
    F32,
    F16,
    BF16,
}

public static class DTypeInfo
{
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.F16 => 2,
        DType.BF16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static string Name(this DType dtype) => dtype switch
    {
        DType.F32 => "f32",
        DType.F16 => "f16",
        DType.BF16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static DType Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" or "float32" or "fp32" => DType.F32,
        "f16" or "float16" or "fp16" or "half" => DType.F16,
        "bf16" or "bfloat16" => DType.BF16,
        _ => throw new EdgePruningException($"unknown dtype '{name}' (expected f32, f16 or bf16)"),
    };
}
