using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>Gemm in every transpose combination and Linear with and without bias, over odd and model-sized shapes.</summary>
internal static class GemmParityCases
{
    public static IEnumerable<ParityCase> All()
    {
        yield return Gemm(1, 1, 1, false, false, 1f, 0f, quick: true);
        yield return Gemm(7, 65, 3, true, false, 1f, 0f);
        yield return Gemm(33, 127, 65, false, true, 1f, 0f, quick: true);
        yield return Gemm(7, 768, 127, true, true, 1f, 0f);
        yield return Gemm(33, 768, 65, false, false, 0.5f, 1f, quick: true);
        yield return Gemm(1, 3, 768, false, true, -2f, 0.25f);

        yield return Linear(1, 1, 3, bias: false, quick: true);
        yield return Linear(7, 3, 65, bias: true);
        yield return Linear(33, 768, 127, bias: true, quick: true);
        yield return Linear(7, 127, 768, bias: false);
        yield return Linear(33, 65, 1, bias: true);
    }

    /// <summary>C[m,n] = alpha·op(A)·op(B) + beta·C with op(A) [m,k] and op(B) [k,n].</summary>
    private static ParityCase Gemm(int m, int k, int n, bool transA, bool transB, float alpha, float beta, bool quick = false)
    {
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"{(transA ? $"[{k},{m}]ᵀ" : $"[{m},{k}]")}·{(transB ? $"[{n},{k}]ᵀ" : $"[{k},{n}]")} α={alpha} β={beta}");
        return new ParityCase("gemm", shape, ParityArithmetic.MatrixProduct, ctx =>
        {
            var a = transA ? ctx.Input(1f, 0f, k, m) : ctx.Input(1f, 0f, m, k);
            var b = transB ? ctx.Input(1f, 0f, n, k) : ctx.Input(1f, 0f, k, n);
            var c = ctx.Input(1f, 0f, m, n);
            var expected = c.Oracle;
            if (beta == 0f) expected.Fill(float.NaN); // beta = 0 must ignore C entirely, NaN included
            var actual = beta == 0f ? ctx.Output(m, n) : c.Candidate;
            ctx.Candidate.Gemm(a.Candidate, transA, b.Candidate, transB, actual, alpha, beta);
            ctx.Oracle.Gemm(a.Oracle, transA, b.Oracle, transB, expected, alpha, beta);
            return new ParityOutcome(expected, ctx.Read(actual));
        }, Reduction: k, Quick: quick);
    }

    private static ParityCase Linear(int rows, int inputs, int outputs, bool bias, bool quick = false) =>
        new("linear", $"x[{rows},{inputs}]·w[{outputs},{inputs}]ᵀ{(bias ? " + b" : "")}", ParityArithmetic.MatrixProduct, ctx =>
        {
            var x = ctx.Input(1f, 0f, rows, inputs);
            var w = ctx.Input(0.5f, 0f, outputs, inputs);
            ParityInput? b = bias ? ctx.Input(1f, 0f, outputs) : null;
            var y = ctx.Output(rows, outputs);
            var expected = ctx.OracleOutput(rows, outputs);
            ctx.Candidate.Linear(x.Candidate, w.Candidate, b?.Candidate, y);
            ctx.Oracle.Linear(x.Oracle, w.Oracle, b?.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Reduction: inputs, Quick: quick);
}
