namespace EdgePruning.Kernels.Parity;

/// <summary>In-place softmax over rows of one element up to a long context, with −∞ entries and rows of only −∞.</summary>
internal static class SoftmaxParityCases
{
    private static readonly (int Rows, int Cols, bool Quick)[] Shapes =
        [(1, 1, true), (7, 3, false), (33, 65, true), (7, 127, false), (33, 768, true), (3, 1500, false)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (rows, cols, quick) in Shapes) yield return Softmax(rows, cols, masked: false, quick);
        yield return Softmax(7, 257, masked: true, quick: true);
    }

    /// <summary>
    /// Logits spread over ±8 around 20 (so a kernel that skips subtracting the row maximum loses precision);
    /// masked: every third entry −∞ and row 0 entirely −∞ (which must come out as zeros).
    /// </summary>
    private static ParityCase Softmax(int rows, int cols, bool masked, bool quick) =>
        new("softmax", $"x[{rows},{cols}]{(masked ? " with −∞" : "")}", ParityArithmetic.Float, ctx =>
        {
            var host = ctx.HostRandom(8f, 20f, rows, cols);
            if (masked)
            {
                var s = host.Span;
                for (int i = 0; i < s.Length; i++)
                    if (i % 3 == 1 || i < cols) s[i] = float.NegativeInfinity;
            }
            var x = ctx.Input(host);
            ctx.Candidate.Softmax(x.Candidate);
            ctx.Oracle.Softmax(x.Oracle);
            return new ParityOutcome(x.Oracle, ctx.Read(x.Candidate));
        }, Quick: quick);
}
