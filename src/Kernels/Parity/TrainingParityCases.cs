using System.Globalization;
using EdgePruning.Kernels.Training;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// The training kernels (f32 only) against <see cref="ReferenceTrainingKernels"/>: hard-concrete masks and their
/// gradient with logα deep in both tails and uniforms next to 0 and 1; the masked edge sum and its backward,
/// every reader seeing every writer or a prefix of them (none, for the first); the KL objective over all
/// columns and over a subset, for rows picked in shuffled order; AdamW over several steps, descending and
/// ascending. Elementwise sizes run from one element past 4096 blocks of 256 threads (a GPU's grid-stride loop).
/// </summary>
internal static class TrainingParityCases
{
    /// <summary>Past 4096·256 elements: more than one pass of a grid-stride loop.</summary>
    private const int GridStrideCount = 1_048_583;

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (count, quick) in new[] { (1, true), (4099, true), (GridStrideCount, false) })
        {
            yield return HardConcrete(count, quick);
            yield return HardConcreteBackward(count, quick);
            yield return MaskNoise(count, quick);
            yield return Sum(count, squares: count == 4099, quick);
        }
        yield return Sum(GridStrideCount, squares: true, quick: false);

        yield return MaskedEdgeSum(1, 1, 1, visible: false, perReader: false, quick: true);
        yield return MaskedEdgeSum(7, 5, 65, visible: false, perReader: false, quick: false);
        yield return MaskedEdgeSum(7, 5, 65, visible: true, perReader: true, quick: false);
        yield return MaskedEdgeSum(36, 37, 3072, visible: false, perReader: false, quick: false);
        yield return MaskedEdgeSum(36, 37, 3072, visible: true, perReader: false, quick: true);
        yield return MaskedEdgeSumBackward(1, 1, 1, visible: false, dz: true, dd: true, quick: false);
        yield return MaskedEdgeSumBackward(7, 5, 65, visible: false, dz: true, dd: true, quick: false);
        yield return MaskedEdgeSumBackward(7, 5, 65, visible: true, dz: true, dd: false, quick: false);
        yield return MaskedEdgeSumBackward(7, 5, 65, visible: true, dz: false, dd: true, quick: false);
        yield return MaskedEdgeSumBackward(36, 37, 3072, visible: false, dz: true, dd: true, quick: false);
        yield return MaskedEdgeSumBackward(36, 37, 3072, visible: true, dz: true, dd: true, quick: true);

        yield return KlDivergence(rows: 3, vocab: 5, selected: 2, columns: 0, spread: 2f, quick: false);
        yield return KlDivergence(rows: 16, vocab: 1000, selected: 12, columns: 0, spread: 2f, quick: false);
        yield return KlDivergence(rows: 16, vocab: 1000, selected: 12, columns: 97, spread: 2f, quick: true);
        yield return KlDivergence(rows: 4, vocab: 50257, selected: 3, columns: 0, spread: 8f, quick: false);
        yield return KlDivergence(rows: 4, vocab: 50257, selected: 3, columns: 1000, spread: 8f, quick: false);

        yield return SequenceKl(sequences: 1, T: 2, outputs: 1, quick: true);
        yield return SequenceKl(sequences: 300, T: 9, outputs: 3, quick: false);

        yield return AdamW(1, firstStep: 1, steps: 1, weightDecay: 0, maximize: false, quick: false);
        yield return AdamW(4099, firstStep: 1, steps: 3, weightDecay: 0.01, maximize: false, quick: true);
        yield return AdamW(4099, firstStep: 100, steps: 2, weightDecay: 0, maximize: true, quick: false);
        yield return AdamW(GridStrideCount, firstStep: 7, steps: 1, weightDecay: 0.01, maximize: false, quick: false);
    }

    private static ParityCase Training(string name, string shape, ParityArithmetic arithmetic, Func<ParityContext, ParityOutcome> run,
        bool quick, int reduction = 0) =>
        new(name, shape, arithmetic, run, reduction, quick, OnlyDType: DType.F32, Family: ParityFamily.Training);

    /// <summary>A mask is l + (r−l)·s clamped to [0,1], a difference of terms of order one: measured against 1.</summary>
    private static ParityCase HardConcrete(int count, bool quick) =>
        Training("hard concrete", $"logα,u[{count}]", ParityArithmetic.Float, ctx =>
        {
            var (logAlpha, uniform) = MaskInputs(ctx, count);
            var z = ctx.Output(count);
            var expected = ctx.OracleOutput(count);
            ctx.Backend.Training.HardConcrete(logAlpha.Candidate, uniform.Candidate, z);
            ctx.Oracles.Training.HardConcrete(logAlpha.Oracle, uniform.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(z), scale: 1);
        }, quick);

    private static ParityCase HardConcreteBackward(int count, bool quick) =>
        Training("hard concrete backward", $"logα,u,dz[{count}] → dlogα += …", ParityArithmetic.Float, ctx =>
        {
            var (logAlpha, uniform) = MaskInputs(ctx, count);
            var dz = ctx.Input(1f, 0f, count);
            var dLogAlpha = ctx.Input(0.5f, 0f, count);
            var before = dLogAlpha.Oracle.Clone();
            ctx.Backend.Training.HardConcreteBackward(logAlpha.Candidate, uniform.Candidate, dz.Candidate, dLogAlpha.Candidate);
            ctx.Oracles.Training.HardConcreteBackward(logAlpha.Oracle, uniform.Oracle, dz.Oracle, dLogAlpha.Oracle);
            return new ParityOutcome(dLogAlpha.Oracle, ctx.Read(dLogAlpha.Candidate), ParityTolerances.ScaleOfSum(before.Span, dLogAlpha.Oracle.Span));
        }, quick);

    /// <summary>The step's noise from a seed past 32 bits: the same bits on every backend (the values lie in (0, 1)).</summary>
    private static ParityCase MaskNoise(int count, bool quick) =>
        Training("mask noise", $"u[{count}]", ParityArithmetic.Float, ctx =>
        {
            const ulong seed = (1UL << 35) + 11;
            var u = ctx.Output(count);
            var expected = ctx.OracleOutput(count);
            ctx.Backend.Training.MaskNoise(u, seed);
            ctx.Oracles.Training.MaskNoise(expected, seed);
            return new ParityOutcome(expected, ctx.Read(u), scale: 1);
        }, quick);

    /// <summary>Σ x or Σ x² in double, read back from its pair of floats and compared at the scale of Σ|x| (a reduction over the count).</summary>
    private static ParityCase Sum(int count, bool squares, bool quick) =>
        Training(squares ? "sum of squares" : "sum", $"x[{count}] → 2", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, 0f, count);
            var total = ctx.Output(2);
            var expected = Tensor.Zeros(2);
            ctx.Backend.Training.Sum(x.Candidate, squares, total);
            ctx.Oracles.Training.Sum(x.Oracle, squares, expected);
            double scale = 0;
            foreach (float v in x.Oracle.Span) scale += squares ? (double)v * v : Math.Abs(v);
            var want = Tensor.FromData([(float)SumTotal.Read(expected.Span)], 1);
            var got = Tensor.FromData([(float)SumTotal.Read(ctx.Read(total).Span)], 1);
            return new ParityOutcome(want, got, (float)scale);
        }, quick, reduction: count);

    /// <summary>
    /// logα over ±6 with every 16th at ±12; u in (0,1) with the first elements at the extremes f32 can hold.
    /// A u whose stretched value lies within 1e-3 of 0 or 1 is drawn again: there the gradient jumps, and a
    /// one-ulp difference would decide which side an element falls on.
    /// </summary>
    private static (ParityInput LogAlpha, ParityInput Uniform) MaskInputs(ParityContext ctx, int count)
    {
        var logAlpha = ctx.HostRandom(6f, 0f, count);
        var uniform = Tensor.Empty(DType.F32, count);
        var a = logAlpha.Span;
        var u = uniform.Span;
        float[] extremes = [1e-7f, 0.99999994f, 0.5f, 1e-3f];
        for (int i = 0; i < count; i++)
        {
            if (i % 16 == 5) a[i] = i % 32 == 5 ? 12f : -12f;
            u[i] = i < extremes.Length ? extremes[i] : Uniform(ctx.Random);
            while (NearCorner(a[i], u[i])) u[i] = Uniform(ctx.Random);
        }
        return (ctx.Input(logAlpha), ctx.Input(uniform));
    }

    private static float Uniform(Random random) => (float)(1e-6 + (1 - 2e-6) * random.NextDouble());

    private static bool NearCorner(float logAlpha, float u)
    {
        double stretched = HardConcreteMath.Stretched(logAlpha, u, out _);
        return Math.Abs(stretched) < 1e-3 || Math.Abs(stretched - 1) < 1e-3;
    }

    /// <summary>X = C + Zᵛ·D with masks in [0,1]; C broadcast or one row per reader.</summary>
    private static ParityCase MaskedEdgeSum(int readers, int writers, int n, bool visible, bool perReader, bool quick) =>
        Training("masked edge sum", $"z[{readers},{writers}] D[{writers},{n}] C[{(perReader ? $"{readers}," : "")}{n}]{(visible ? ", visible prefixes" : "")}",
            ParityArithmetic.MatrixProduct, ctx =>
        {
            var z = ctx.Input(0.5f, 0.5f, readers, writers);
            var d = ctx.Input(1f, 0f, writers, n);
            var c = perReader ? ctx.Input(1f, 0f, readers, n) : ctx.Input(1f, 0f, n);
            int[] seen = visible ? VisiblePrefixes(readers, writers) : [];
            var x = ctx.Output(readers, n);
            var expected = ctx.OracleOutput(readers, n);
            ctx.Backend.Training.MaskedEdgeSum(z.Candidate, seen, d.Candidate, c.Candidate, x);
            ctx.Oracles.Training.MaskedEdgeSum(z.Oracle, seen, d.Oracle, c.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(x));
        }, quick, reduction: writers);

    /// <summary>dz += dX·Dᵀ on the visible entries (a sum over N), dD += Zᵛᵀ·dX (a sum over the readers); either may be left out.</summary>
    private static ParityCase MaskedEdgeSumBackward(int readers, int writers, int n, bool visible, bool dz, bool dd, bool quick) =>
        Training("masked edge sum backward",
            $"z[{readers},{writers}] D,dX[…,{n}]{(visible ? ", visible prefixes" : "")} → {(dz && dd ? "dz, dD" : dz ? "dz only" : "dD only")}",
            ParityArithmetic.MatrixProduct, ctx =>
        {
            var z = ctx.Input(0.5f, 0.5f, readers, writers);
            var d = ctx.Input(1f, 0f, writers, n);
            var dx = ctx.Input(1f, 0f, readers, n);
            int[] seen = visible ? VisiblePrefixes(readers, writers) : [];
            ParityInput? gz = dz ? ctx.Input(1f, 0f, readers, writers) : null;
            ParityInput? gd = dd ? ctx.Input(1f, 0f, writers, n) : null;
            var gzBefore = gz?.Oracle.Clone();
            var gdBefore = gd?.Oracle.Clone();
            ctx.Backend.Training.MaskedEdgeSumBackward(z.Candidate, seen, d.Candidate, dx.Candidate, gz?.Candidate, gd?.Candidate);
            ctx.Oracles.Training.MaskedEdgeSumBackward(z.Oracle, seen, d.Oracle, dx.Oracle, gz?.Oracle, gd?.Oracle);
            var outputs = new List<ParityOutput>();
            if (gz is { } g1) outputs.Add(Accumulated(ctx, "dz", g1, gzBefore!, reduction: n));
            if (gd is { } g2) outputs.Add(Accumulated(ctx, "dD", g2, gdBefore!, reduction: readers));
            return new ParityOutcome([.. outputs]);
        }, quick, reduction: Math.Max(n, readers));

    /// <summary>Reader r sees the first r·W/(R−1) writers: none for the first, all for the last.</summary>
    private static int[] VisiblePrefixes(int readers, int writers)
    {
        var seen = new int[readers];
        for (int r = 0; r < readers; r++) seen[r] = readers == 1 ? 0 : (int)((long)r * writers / (readers - 1));
        return seen;
    }

    /// <summary>
    /// Logits around 3 (so the row maximum must be subtracted), full and circuit drawn independently so that
    /// the KL is of order one; a gradient already holding values, for rows picked in shuffled order (the others
    /// must stay as they were). <paramref name="columns"/> &gt; 0 restricts both softmaxes to that many columns.
    /// </summary>
    private static ParityCase KlDivergence(int rows, int vocab, int selected, int columns, float spread, bool quick) =>
        Training("kl divergence", string.Create(CultureInfo.InvariantCulture,
                $"logits[{rows},{vocab}] ±{spread}, {selected} rows{(columns > 0 ? $", {columns} columns" : "")} → kl, dcircuit"),
            ParityArithmetic.Float, ctx =>
        {
            var full = ctx.Input(spread, 3f, rows, vocab);
            var circuit = ctx.Input(spread, 3f, rows, vocab);
            int[] picked = Shuffled(ctx.Random, rows)[..selected];
            int[] cols = columns > 0 ? Shuffled(ctx.Random, vocab)[..columns] : [];
            float gradScale = 1f / selected;
            var grad = ctx.Input(gradScale / vocab, 0f, rows, vocab);
            var before = grad.Oracle.Clone();
            var kl = ctx.Output(selected);
            var expected = ctx.OracleOutput(selected);
            ctx.Backend.Training.KlDivergence(full.Candidate, circuit.Candidate, picked, cols, kl, grad.Candidate, gradScale);
            ctx.Oracles.Training.KlDivergence(full.Oracle, circuit.Oracle, picked, cols, expected, grad.Oracle, gradScale);
            // A KL is a p-weighted sum of log-probability differences of order one, each known to a few ulp of the
            // row's log-normalizer: its error is absolute, in nats, however small the KL. The gradient is a difference
            // of probabilities, each known to that relative error: its typical size is the largest probability.
            double probability = gradScale * Math.Max(LargestProbability(full.Oracle, picked, cols), LargestProbability(circuit.Oracle, picked, cols));
            return new ParityOutcome(
                new ParityOutput("kl", expected, ctx.Read(kl), Math.Max(ParityTolerances.RootMeanSquare(expected.Span), 1)),
                new ParityOutput("dcircuit", grad.Oracle, ctx.Read(grad.Candidate), Math.Max(ParityTolerances.ScaleOfSum(before.Span, grad.Oracle.Span), probability)));
        }, quick);

    /// <summary>
    /// Logits [sequences·T, outputs] around 3; each sequence reads a random non-empty subset of its positions (at
    /// least 2 where T allows), in shuffled order; more sequences than one block of threads.
    /// </summary>
    private static ParityCase SequenceKl(int sequences, int T, int outputs, bool quick) =>
        Training("sequence kl", string.Create(CultureInfo.InvariantCulture, $"logits[{sequences}×{T},{outputs}], column 0 across positions → kl, dcircuit"),
            ParityArithmetic.Float, ctx =>
        {
            var full = ctx.Input(2f, 3f, sequences * T, outputs);
            var circuit = ctx.Input(2f, 3f, sequences * T, outputs);
            var offsets = new int[sequences + 1];
            var rows = new List<int>();
            for (int b = 0; b < sequences; b++)
            {
                int take = Math.Min(T, 2 + ctx.Random.Next(T));
                rows.AddRange(Shuffled(ctx.Random, T)[..take].Select(p => b * T + p));
                offsets[b + 1] = rows.Count;
            }
            float gradScale = 1f / sequences;
            var grad = ctx.Input(gradScale, 0f, sequences * T, outputs);
            var before = grad.Oracle.Clone();
            var kl = ctx.Output(sequences);
            var expected = ctx.OracleOutput(sequences);
            int[] picked = rows.ToArray();
            ctx.Backend.Training.SequenceKl(full.Candidate, circuit.Candidate, offsets, picked, kl, grad.Candidate, gradScale);
            ctx.Oracles.Training.SequenceKl(full.Oracle, circuit.Oracle, offsets, picked, expected, grad.Oracle, gradScale);
            // As the KL over a row: absolute errors of a few ulp of order-one log-probabilities; the gradient is a
            // difference of probabilities (at most 1) times the scale.
            return new ParityOutcome(
                new ParityOutput("kl", expected, ctx.Read(kl), Math.Max(ParityTolerances.RootMeanSquare(expected.Span), 1)),
                new ParityOutput("dcircuit", grad.Oracle, ctx.Read(grad.Candidate), Math.Max(ParityTolerances.ScaleOfSum(before.Span, grad.Oracle.Span), gradScale)));
        }, quick);

    private static int[] Shuffled(Random random, int count)
    {
        var order = Enumerable.Range(0, count).ToArray();
        random.Shuffle(order);
        return order;
    }

    /// <summary>The largest softmax probability over the picked rows (and columns).</summary>
    private static double LargestProbability(Tensor logits, int[] rows, int[] columns)
    {
        int vocab = logits.Shape.Cols;
        var l = logits.Span;
        double largest = 0;
        foreach (int row in rows)
        {
            var r = l.Slice(row * vocab, vocab);
            double max = double.NegativeInfinity, sum = 0;
            if (columns.Length == 0) foreach (var v in r) max = Math.Max(max, v);
            else foreach (int c in columns) max = Math.Max(max, r[c]);
            if (columns.Length == 0) foreach (var v in r) sum += Math.Exp(v - max);
            else foreach (int c in columns) sum += Math.Exp(r[c] - max);
            largest = Math.Max(largest, 1 / sum);
        }
        return largest;
    }

    /// <summary>
    /// <paramref name="steps"/> AdamW updates from step <paramref name="firstStep"/>, a fresh gradient each (every
    /// seventh element 0), compared in the parameters and both moments, each against its own size: that of the
    /// larger of its value before and its change (a parameter next to one step's size ends near zero). Moments
    /// as an optimizer holds them, v ≥ m² (a step is then at most about lr); a v near 0 under a sizable m would
    /// make steps of thousands of lr, whose f32 rounding no parameter-sized tolerance covers.
    /// </summary>
    private static ParityCase AdamW(int count, int firstStep, int steps, double weightDecay, bool maximize, bool quick) =>
        Training("adamw", string.Create(CultureInfo.InvariantCulture,
                $"p[{count}], steps {firstStep}..{firstStep + steps - 1}, wd {weightDecay}{(maximize ? ", ascending" : "")} → p, m, v"),
            ParityArithmetic.Float, ctx =>
        {
            var parameters = ctx.Input(3f, 0f, count);
            var hostFirst = ctx.HostRandom(1e-2f, 0f, count);
            var hostSecond = ctx.HostRandom(0.5e-4f, 0.5e-4f, count);
            var m = hostFirst.Span;
            var v = hostSecond.Span;
            for (int i = 0; i < v.Length; i++) v[i] += m[i] * m[i];
            var first = ctx.Input(hostFirst);
            var second = ctx.Input(hostSecond);
            var before = new[] { parameters.Oracle.Clone(), first.Oracle.Clone(), second.Oracle.Clone() };
            for (int t = firstStep; t < firstStep + steps; t++)
            {
                var host = ctx.HostRandom(1e-2f, 0f, count);
                var h = host.Span;
                for (int i = 0; i < h.Length; i += 7) h[i] = 0;
                var gradients = ctx.Input(host);
                var step = new AdamWStep(LearningRate: 0.1, weightDecay, t, maximize);
                ctx.Backend.Training.AdamW(parameters.Candidate, gradients.Candidate, first.Candidate, second.Candidate, step);
                ctx.Oracles.Training.AdamW(parameters.Oracle, gradients.Oracle, first.Oracle, second.Oracle, step);
            }
            return new ParityOutcome(
                Accumulated(ctx, "p", parameters, before[0]),
                Accumulated(ctx, "m", first, before[1]),
                Accumulated(ctx, "v", second, before[2]));
        }, quick);

    private static ParityOutput Accumulated(ParityContext ctx, string name, ParityInput updated, Tensor before, int? reduction = null) =>
        new(name, updated.Oracle, ctx.Read(updated.Candidate), ParityTolerances.ScaleOfSum(before.Span, updated.Oracle.Span), Reduction: reduction);
}
