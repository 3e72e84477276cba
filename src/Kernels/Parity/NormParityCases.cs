using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>LayerNorm (with and without beta) and RMSNorm per row, on rows of one element up to model width.</summary>
internal static class NormParityCases
{
    private static readonly (int Rows, int Dim, bool Quick)[] Shapes =
        [(1, 1, true), (7, 3, false), (33, 65, true), (7, 127, false), (33, 768, true), (1, 768, false)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (rows, dim, quick) in Shapes)
        {
            yield return LayerNorm(rows, dim, beta: true, offset: 0f, quick);
            yield return RmsNorm(rows, dim, quick);
        }
        yield return LayerNorm(7, 65, beta: false, offset: 0f, quick: true);
        // A common offset of 16 over a spread of ±1: a one-pass E[x²] − E[x]² variance cancels 2⁻²⁴·(16² + ⅓)/⅓ ≈ 5e-5
        // (before any summation error) and fails; a two-pass f32 kernel is off only by the mean's own rounding,
        // ulp(16)/2 / σ ≈ 2e-6.
        yield return LayerNorm(7, 768, beta: true, offset: 16f, quick: false);
    }

    private static ParityCase LayerNorm(int rows, int dim, bool beta, float offset, bool quick) =>
        new("layernorm", string.Create(CultureInfo.InvariantCulture,
            $"x[{rows},{dim}]{(offset != 0 ? $" around {offset}" : "")}{(beta ? " γ β" : " γ")}"), ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, offset, rows, dim);
            var gamma = ctx.Input(0.5f, 1f, dim);
            ParityInput? b = beta ? ctx.Input(0.5f, 0f, dim) : null;
            var y = ctx.Output(rows, dim);
            var expected = ctx.OracleOutput(rows, dim);
            ctx.Candidate.LayerNorm(x.Candidate, gamma.Candidate, b?.Candidate, y, 1e-5f);
            ctx.Oracle.LayerNorm(x.Oracle, gamma.Oracle, b?.Oracle, expected, 1e-5f);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Quick: quick);

    private static ParityCase RmsNorm(int rows, int dim, bool quick) =>
        new("rmsnorm", $"x[{rows},{dim}] γ", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, 0f, rows, dim);
            var gamma = ctx.Input(0.5f, 1f, dim);
            var y = ctx.Output(rows, dim);
            var expected = ctx.OracleOutput(rows, dim);
            ctx.Candidate.RmsNorm(x.Candidate, gamma.Candidate, y, 1e-6f);
            ctx.Oracle.RmsNorm(x.Oracle, gamma.Oracle, expected, 1e-6f);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Quick: quick);
}
