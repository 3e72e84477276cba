using System.Runtime.CompilerServices;

namespace EdgePruning.Runtime.Cpu;

/// <summary>Conversions between f32 and the 16-bit storage formats (bf16 rounds to nearest even).</summary>
public static class HalfConversion
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FloatToBF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (ushort)((bits >> 16) | 0x40); // quiet NaN
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static void BF16ToFloat(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = BF16ToFloat(src[i]);
    }

    public static void FloatToBF16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FloatToBF16(src[i]);
    }

    public static void F16ToFloat(ReadOnlySpan<Half> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(src, dst);
    }

    public static void FloatToF16(ReadOnlySpan<float> src, Span<Half> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        System.Numerics.Tensors.TensorPrimitives.ConvertToHalf(src, dst);
    }
}
