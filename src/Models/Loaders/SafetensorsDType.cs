using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// The dtype names of the safetensors format. Every name is known (so that a file holding, say, an I64
/// buffer beside its weights still opens), but only F32, F16 and BF16 become tensors; F64 converts to f32.
/// </summary>
public static class SafetensorsDType
{
    private static readonly Dictionary<string, int> BitsPerElement = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 8, ["U8"] = 8, ["I8"] = 8, ["F8_E5M2"] = 8, ["F8_E4M3"] = 8, ["F8_E8M0"] = 8,
        ["I16"] = 16, ["U16"] = 16, ["F16"] = 16, ["BF16"] = 16,
        ["I32"] = 32, ["U32"] = 32, ["F32"] = 32,
        ["F64"] = 64, ["I64"] = 64, ["U64"] = 64,
    };

    public static bool IsKnown(string name) => BitsPerElement.ContainsKey(name);

    /// <summary>Bytes per element of a known dtype.</summary>
    public static int SizeOf(string name) => BitsPerElement[name] / 8;

    /// <summary>The tensor dtype for a stored dtype, or null when it is not one the engine computes with.</summary>
    public static DType? ToTensorDType(string name) => name switch
    {
        "F32" => DType.F32,
        "F16" => DType.F16,
        "BF16" => DType.BF16,
        _ => null,
    };

    public static string FromTensorDType(DType dtype) => dtype switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
