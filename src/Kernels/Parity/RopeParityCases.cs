using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>Rotary embedding in place, for head sizes 2 to 128, from position 0 and from deep in a long context.</summary>
internal static class RopeParityCases
{
    public static IEnumerable<ParityCase> All()
    {
        yield return Rope(batch: 1, tokens: 1, heads: 1, headDim: 2, startPos: 0, theta: 10000f, quick: true);
        yield return Rope(batch: 2, tokens: 7, heads: 3, headDim: 8, startPos: 5, theta: 10000f, quick: false);
        yield return Rope(batch: 1, tokens: 33, heads: 8, headDim: 64, startPos: 0, theta: 10000f, quick: true);
        yield return Rope(batch: 2, tokens: 3, heads: 2, headDim: 128, startPos: 1000, theta: 1_000_000f, quick: true);
        yield return Rope(batch: 1, tokens: 7, heads: 4, headDim: 6, startPos: 1497, theta: 10000f, quick: false);
    }

    private static ParityCase Rope(int batch, int tokens, int heads, int headDim, int startPos, float theta, bool quick) =>
        new("rope", string.Create(CultureInfo.InvariantCulture, $"x[{batch},{tokens},{heads},{headDim}] from {startPos}, θ={theta:G}"),
            ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, 0f, batch, tokens, heads, headDim);
            ctx.Candidate.Rope(x.Candidate, startPos, theta);
            ctx.Oracle.Rope(x.Oracle, startPos, theta);
            return new ParityOutcome(x.Oracle, ctx.Read(x.Candidate));
        }, Quick: quick);
}
