using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Copy with and without conversion, and the backend's own upload and download: all exact. A conversion
/// f32 → 16-bit → f32 must give the host's round-to-nearest-even result for ordinary values, ties, subnormals,
/// overflow to infinity, signed zeros, infinities and NaN.
/// </summary>
internal static class CopyParityCases
{
    private static readonly (int Rows, int Cols, bool Quick)[] Shapes = [(1, 1, true), (7, 65, true), (33, 768, false), (3, 1500, false)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (rows, cols, quick) in Shapes)
        {
            yield return Convert(DType.BF16, rows, cols, quick);
            yield return Convert(DType.F16, rows, cols, quick);
            yield return Same(DType.F32, rows, cols, quick);
            yield return Same(DType.BF16, rows, cols, quick);
            yield return RoundTrip(rows, cols, quick);
        }
    }

    /// <summary>f32 → <paramref name="through"/> → f32 by two Copy calls, the second into a tensor of another shape.</summary>
    private static ParityCase Convert(DType through, int rows, int cols, bool quick) =>
        new($"copy f32→{through.Name()}→f32", $"[{rows},{cols}]→[{rows * cols}]", ParityArithmetic.Exact, ctx =>
        {
            var host = Values(ctx, rows, cols);
            var source = ctx.Backend.Upload(host, DType.F32);
            var middle = ctx.Backend.Empty(through, rows, cols);
            var back = ctx.Backend.Empty(DType.F32, rows * cols);
            ctx.Candidate.Copy(source, middle);
            ctx.Candidate.Copy(middle, back);
            return new ParityOutcome(ParityContext.Rounded(host, through).Reshape(rows * cols), ctx.Read(back));
        }, Quick: quick, OnlyDType: through);

    /// <summary>A copy within one dtype: the bytes, unchanged.</summary>
    private static ParityCase Same(DType dtype, int rows, int cols, bool quick) =>
        new($"copy {dtype.Name()}→{dtype.Name()}", $"[{rows},{cols}]", ParityArithmetic.Exact, ctx =>
        {
            var host = Values(ctx, rows, cols);
            var source = ctx.Backend.Upload(host, dtype);
            var copy = ctx.Backend.Empty(dtype, rows, cols);
            ctx.Candidate.Copy(source, copy);
            return new ParityOutcome(ParityContext.Rounded(host, dtype), ctx.Read(copy));
        }, Quick: quick, OnlyDType: dtype);

    /// <summary>Upload then download in the backend's dtype: the host's rounding of the values.</summary>
    private static ParityCase RoundTrip(int rows, int cols, bool quick) =>
        new("upload/download", $"[{rows},{cols}]", ParityArithmetic.Exact, ctx =>
        {
            var host = Values(ctx, rows, cols);
            return new ParityOutcome(ParityContext.Rounded(host, ctx.DType), ctx.Read(ctx.Backend.Upload(host, ctx.DType)));
        }, Quick: quick);

    /// <summary>Random values over many binades, with the special values written over the first elements.</summary>
    private static Tensor Values(ParityContext ctx, int rows, int cols)
    {
        var host = ctx.HostRandom(1f, 0f, rows, cols);
        var s = host.Span;
        for (int i = 0; i < s.Length; i++) s[i] *= MathF.Pow(2f, ctx.Random.Next(-30, 30));
        float[] specials =
        [
            1f + 1f / 256, 1f + 3f / 256, -(1f + 1f / 256), // bf16 ties: round to even (down, then up)
            1f + 1f / 2048, 1f + 3f / 2048,                // f16 ties
            float.MaxValue, -float.MaxValue, 70000f,        // overflow to ±∞ (bf16, then f16)
            1e-40f, -1e-40f, 1e-6f,                         // f32 subnormals; an f16 subnormal
            0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN,
        ];
        for (int i = 0; i < Math.Min(specials.Length, s.Length); i++) s[i] = specials[i];
        return host;
    }
}
