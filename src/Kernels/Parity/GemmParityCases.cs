using System.Globalization;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// Gemm in every transpose combination and Linear with and without bias, over odd and model-sized shapes; their
/// batched forms over per-head shapes of a small model (B = 12 heads, m = 64 rows, k = 64, n = 16) and odd ones.
/// </summary>
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

        yield return BatchedLinear(1, 64, 64, 16, bias: true);
        yield return BatchedLinear(12, 64, 64, 16, bias: true, quick: true);
        yield return BatchedLinear(12, 64, 64, 16, bias: false);
        yield return BatchedLinear(3, 5, 7, 11, bias: true);

        // dx += dy·w accumulates into existing values (beta = 1); the other flags as a backward takes them.
        yield return BatchedGemm(12, 64, 16, 64, false, false, 1f, 1f, quick: true);
        yield return BatchedGemm(12, 64, 64, 16, false, true, 0.125f, 0f, quick: true);
        yield return BatchedGemm(1, 64, 64, 16, false, true, 1f, 0f);
        yield return BatchedGemm(12, 16, 64, 64, true, false, 1f, 1f);
        yield return BatchedGemm(3, 5, 7, 11, true, true, -2f, 0.25f);
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

    /// <summary>y[b] = x[b]·w[b]ᵀ (+ bias[b]) for x [batch,rows,inputs], w [batch,outputs,inputs].</summary>
    private static ParityCase BatchedLinear(int batch, int rows, int inputs, int outputs, bool bias, bool quick = false) =>
        new("batchedlinear", $"{batch}×x[{rows},{inputs}]·w[{outputs},{inputs}]ᵀ{(bias ? " + b" : "")}", ParityArithmetic.MatrixProduct, ctx =>
        {
            var x = ctx.Input(1f, 0f, batch, rows, inputs);
            var w = ctx.Input(0.5f, 0f, batch, outputs, inputs);
            ParityInput? b = bias ? ctx.Input(1f, 0f, batch, outputs) : null;
            var y = ctx.Output(batch, rows, outputs);
            var expected = ctx.OracleOutput(batch, rows, outputs);
            ctx.Candidate.BatchedLinear(x.Candidate, w.Candidate, b?.Candidate, y);
            ctx.Oracle.BatchedLinear(x.Oracle, w.Oracle, b?.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Reduction: inputs, Quick: quick);

    /// <summary>C[b] = alpha·op(A[b])·op(B[b]) + beta·C[b] with op(A[b]) [m,k] and op(B[b]) [k,n].</summary>
    private static ParityCase BatchedGemm(int batch, int m, int k, int n, bool transA, bool transB, float alpha, float beta,
        bool quick = false)
    {
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"{batch}×{(transA ? $"[{k},{m}]ᵀ" : $"[{m},{k}]")}·{(transB ? $"[{n},{k}]ᵀ" : $"[{k},{n}]")} α={alpha} β={beta}");
        return new ParityCase("batchedgemm", shape, ParityArithmetic.MatrixProduct, ctx =>
        {
            var a = transA ? ctx.Input(1f, 0f, batch, k, m) : ctx.Input(1f, 0f, batch, m, k);
            var b = transB ? ctx.Input(1f, 0f, batch, n, k) : ctx.Input(1f, 0f, batch, k, n);
            var c = ctx.Input(1f, 0f, batch, m, n);
            var expected = c.Oracle;
            if (beta == 0f) expected.Fill(float.NaN); // beta = 0 must ignore C entirely, NaN included
            var actual = beta == 0f ? ctx.Output(batch, m, n) : c.Candidate;
            ctx.Candidate.BatchedGemm(a.Candidate, transA, b.Candidate, transB, actual, alpha, beta);
            ctx.Oracle.BatchedGemm(a.Oracle, transA, b.Oracle, transB, expected, alpha, beta);
            return new ParityOutcome(expected, ctx.Read(actual));
        }, Reduction: k, Quick: quick);
    }
}
