namespace EdgePruning.Kernels.Parity;

/// <summary>Embedding lookups (exact row copies), ids including the first and last row of the table.</summary>
internal static class EmbeddingParityCases
{
    public static IEnumerable<ParityCase> All()
    {
        yield return Embedding(vocab: 1, dim: 1, count: 1, quick: true);
        yield return Embedding(vocab: 65, dim: 3, count: 7, quick: false);
        yield return Embedding(vocab: 65, dim: 768, count: 33, quick: true);
        yield return Embedding(vocab: 1500, dim: 127, count: 7, quick: false);
    }

    private static ParityCase Embedding(int vocab, int dim, int count, bool quick) =>
        new("embedding", $"table[{vocab},{dim}], {count} ids", ParityArithmetic.Exact, ctx =>
        {
            var table = ctx.Input(1f, 0f, vocab, dim);
            var ids = new int[count];
            for (int i = 0; i < count; i++) ids[i] = ctx.Random.Next(vocab);
            ids[0] = vocab - 1;
            ids[count / 2] = 0;
            var y = ctx.Output(count, dim);
            var expected = ctx.OracleOutput(count, dim);
            ctx.Candidate.Embedding(table.Candidate, ids, y);
            ctx.Oracle.Embedding(table.Oracle, ids, expected);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Quick: quick);
}
