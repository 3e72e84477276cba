using System.Globalization;
using EdgePruning.Kernels.Cpu.Gradients;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// The backward kernels against <see cref="CpuGradientKernels"/>, in every dtype the backend stores: fill,
/// scale and axpy; LayerNorm and RMSNorm backward over the shapes of the forward norms (LayerNorm also on rows
/// far from zero); the four activations and SwiGLU (each gradient alone and both); rope backward from deep in
/// a context; attention backward causal and not, with grouped keys, hidden keys (down to a query that sees
/// none), fewer queries than keys, each gradient alone, and a model's shape. Every backward adds into
/// gradients that already hold values, measured with <see cref="ParityTolerances.ScaleOfSum"/>.
/// </summary>
internal static class GradientParityCases
{
    private static readonly (int Rows, int Cols, bool Quick)[] ElementwiseShapes = [(1, 1, false), (7, 65, false), (33, 768, true), (3, 1500, false)];
    private static readonly (int Rows, int Dim, bool Quick)[] NormShapes =
        [(1, 1, false), (7, 3, false), (33, 65, false), (7, 127, false), (33, 768, true), (1, 768, false)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (rows, cols, quick) in ElementwiseShapes)
        {
            yield return Fill(rows, cols, quick);
            yield return FillNormal(rows, cols, quick);
            yield return Scale(rows, cols, inPlace: false, quick);
            yield return Axpy(rows, cols, quick);
            yield return ScaleBy(rows, cols, accumulate: false, quick);
            yield return ScaleBy(rows, cols, accumulate: true, quick: false);
            yield return ScaleRowsBy(rows, cols, quick);
        }
        yield return Scale(7, 127, inPlace: true, quick: false);

        foreach (var (rows, dim, quick) in NormShapes)
        {
            yield return LayerNormBackward(rows, dim, offset: 0f, quick);
            yield return RmsNormBackward(rows, dim, quick);
        }
        yield return LayerNormBackward(7, 768, offset: 16f, quick: false);

        foreach (var activation in Enum.GetValues<Activation>())
            foreach (var (rows, cols, quick) in new[] { (1, 1, false), (33, 768, true), (3, 1500, false) })
                yield return ActivationBackward(activation, rows, cols, quick);

        foreach (var (rows, cols, quick) in ElementwiseShapes) yield return SwiGluBackward(rows, cols, gate: true, up: true, quick);
        yield return SwiGluBackward(7, 127, gate: true, up: false, quick: false);
        yield return SwiGluBackward(7, 127, gate: false, up: true, quick: false);

        yield return RopeBackward(batch: 1, tokens: 1, heads: 1, headDim: 2, startPos: 0, theta: 10000f, quick: false);
        yield return RopeBackward(batch: 2, tokens: 7, heads: 3, headDim: 8, startPos: 5, theta: 10000f, quick: false);
        yield return RopeBackward(batch: 1, tokens: 64, heads: 12, headDim: 64, startPos: 0, theta: 10000f, quick: true);
        yield return RopeBackward(batch: 2, tokens: 3, heads: 2, headDim: 128, startPos: 1000, theta: 1_000_000f, quick: false);
        yield return RopeBackward(batch: 1, tokens: 7, heads: 4, headDim: 6, startPos: 1497, theta: 10000f, quick: false);

        foreach (var shape in AttentionShapes) yield return AttentionBackward(shape);
    }

    /// <summary>Every element set to a value that bf16 rounds (0.1): exact, to the stored dtype's rounding.</summary>
    private static ParityCase Fill(int rows, int cols, bool quick) =>
        new("fill", $"x[{rows},{cols}] = 0.1", ParityArithmetic.Exact, ctx =>
        {
            var x = ctx.Output(rows, cols);
            var expected = ctx.OracleOutput(rows, cols);
            ctx.Backend.Gradients.Fill(x, 0.1f);
            ctx.Oracles.Gradients.Fill(expected, 0.1f);
            return new ParityOutcome(ParityContext.Rounded(expected, ctx.DType), ctx.Read(x));
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>
    /// Seeded normal values: the same hash on both sides, then logf/cosf/sqrtf (device: a few ulp) and one
    /// rounding to the stored dtype.
    /// </summary>
    private static ParityCase FillNormal(int rows, int cols, bool quick) =>
        new("fill normal", $"x[{rows},{cols}] = 0.02·N(0,1), seed 2⁴⁰ + 7", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Output(rows, cols);
            var expected = ctx.OracleOutput(rows, cols);
            ctx.Backend.Gradients.FillNormal(x, 0.02f, (1UL << 40) + 7);
            ctx.Oracles.Gradients.FillNormal(expected, 0.02f, (1UL << 40) + 7);
            return new ParityOutcome(ParityContext.Rounded(expected, ctx.DType), ctx.Read(x));
        }, Quick: quick, Family: ParityFamily.Gradients);

    private static ParityCase Scale(int rows, int cols, bool inPlace, bool quick) =>
        new("scale", $"y = −0.75·x[{rows},{cols}]{(inPlace ? " in place" : "")}", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(4f, 0f, rows, cols);
            var y = inPlace ? x.Candidate : ctx.Output(rows, cols);
            var expected = inPlace ? x.Oracle : ctx.OracleOutput(rows, cols);
            ctx.Backend.Gradients.Scale(x.Candidate, -0.75f, y);
            ctx.Oracles.Gradients.Scale(x.Oracle, -0.75f, expected);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Quick: quick, Family: ParityFamily.Gradients);

    private static ParityCase Axpy(int rows, int cols, bool quick) =>
        new("axpy", $"y[{rows},{cols}] += 0.5·x", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(4f, 0f, rows, cols);
            var y = ctx.Input(2f, 0f, rows, cols);
            var before = y.Oracle.Clone();
            ctx.Backend.Gradients.Axpy(0.5f, x.Candidate, y.Candidate);
            ctx.Oracles.Gradients.Axpy(0.5f, x.Oracle, y.Oracle);
            return Accumulated(ctx, y, before);
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>y = −0.5·f·x or y += −0.5·f·x, the factor f an f32 element of a host-random vector, as a node mask is.</summary>
    private static ParityCase ScaleBy(int rows, int cols, bool accumulate, bool quick) =>
        new("scale by", $"y[{rows},{cols}] {(accumulate ? "+=" : "=")} −0.5·f·x, f on the device", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(4f, 0f, rows, cols);
            var factors = ctx.Input(ctx.HostRandom(0.5f, 0.5f, 5), DType.F32);
            var y = ctx.Input(2f, 0f, rows, cols);
            var before = y.Oracle.Clone();
            ctx.Backend.Gradients.ScaleBy(x.Candidate, factors.Candidate.Rows(3, 1), -0.5f, y.Candidate, accumulate);
            ctx.Oracles.Gradients.ScaleBy(x.Oracle, factors.Oracle.Rows(3, 1), -0.5f, y.Oracle, accumulate);
            return accumulate ? Accumulated(ctx, y, before) : new ParityOutcome(y.Oracle, ctx.Read(y.Candidate));
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>Row r of y += 0.25·f[r]·(row r of x), a factor per row, as a layer's heads' node masks are.</summary>
    private static ParityCase ScaleRowsBy(int rows, int cols, bool quick) =>
        new("scale by", $"y[{rows},{cols}] += 0.25·f[row]·x, a factor per row on the device", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(4f, 0f, rows, cols);
            var factors = ctx.Input(ctx.HostRandom(0.5f, 0.5f, rows + 2), DType.F32);
            var y = ctx.Input(2f, 0f, rows, cols);
            var before = y.Oracle.Clone();
            ctx.Backend.Gradients.ScaleBy(x.Candidate, factors.Candidate.Rows(2, rows), 0.25f, y.Candidate, accumulate: true);
            ctx.Oracles.Gradients.ScaleBy(x.Oracle, factors.Oracle.Rows(2, rows), 0.25f, y.Oracle, accumulate: true);
            return Accumulated(ctx, y, before);
        }, Quick: quick, Family: ParityFamily.Gradients);

    private static ParityCase LayerNormBackward(int rows, int dim, float offset, bool quick) =>
        new("layernorm backward", string.Create(CultureInfo.InvariantCulture,
            $"x,dy[{rows},{dim}]{(offset != 0 ? $" around {offset}" : "")} γ → dx += …"), ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, offset, rows, dim);
            var gamma = ctx.Input(0.5f, 1f, dim);
            var dy = ctx.Input(1f, 0f, rows, dim);
            var dx = ctx.Input(0.5f, 0f, rows, dim);
            var before = dx.Oracle.Clone();
            ctx.Backend.Gradients.LayerNormBackward(x.Candidate, gamma.Candidate, dy.Candidate, dx.Candidate, 1e-5f);
            ctx.Oracles.Gradients.LayerNormBackward(x.Oracle, gamma.Oracle, dy.Oracle, dx.Oracle, 1e-5f);
            return Accumulated(ctx, dx, before, NormGradientTerms(x.Oracle, gamma.Oracle, dy.Oracle, layerNorm: true, 1e-5f));
        }, Quick: quick, Family: ParityFamily.Gradients);

    private static ParityCase RmsNormBackward(int rows, int dim, bool quick) =>
        new("rmsnorm backward", $"x,dy[{rows},{dim}] γ → dx += …", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(1f, 0f, rows, dim);
            var gamma = ctx.Input(0.5f, 1f, dim);
            var dy = ctx.Input(1f, 0f, rows, dim);
            var dx = ctx.Input(0.5f, 0f, rows, dim);
            var before = dx.Oracle.Clone();
            ctx.Backend.Gradients.RmsNormBackward(x.Candidate, gamma.Candidate, dy.Candidate, dx.Candidate, 1e-6f);
            ctx.Oracles.Gradients.RmsNormBackward(x.Oracle, gamma.Oracle, dy.Oracle, dx.Oracle, 1e-6f);
            return Accumulated(ctx, dx, before, NormGradientTerms(x.Oracle, gamma.Oracle, dy.Oracle, layerNorm: false, 1e-6f));
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>
    /// x over ±6 as for the forward. act′ is of order one and its tails are differences of order-one terms, so
    /// what is added is measured against the size of dy as well (a one-element check has nothing else).
    /// </summary>
    private static ParityCase ActivationBackward(Activation activation, int rows, int cols, bool quick) =>
        new("activation backward", $"{ElementwiseParityCases.Name(activation)}: x,dy[{rows},{cols}] → dx += …", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(6f, 0f, rows, cols);
            var dy = ctx.Input(1f, 0f, rows, cols);
            var dx = ctx.Input(0.5f, 0f, rows, cols);
            var before = dx.Oracle.Clone();
            ctx.Backend.Gradients.ActivationBackward(activation, x.Candidate, dy.Candidate, dx.Candidate);
            ctx.Oracles.Gradients.ActivationBackward(activation, x.Oracle, dy.Oracle, dx.Oracle);
            return Accumulated(ctx, dx, before, ParityTolerances.RootMeanSquare(dy.Oracle.Span));
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>
    /// dGate += dy·up·silu′(gate), dUp += dy·silu(gate), either left out. As for the activations, what is added
    /// is measured against the size of its factors as well: dy·up, and dy·gate.
    /// </summary>
    private static ParityCase SwiGluBackward(int rows, int cols, bool gate, bool up, bool quick) =>
        new("swiglu backward", $"gate,up,dy[{rows},{cols}] → {(gate && up ? "dgate, dup" : gate ? "dgate only" : "dup only")} += …",
            ParityArithmetic.Float, ctx =>
        {
            var g = ctx.Input(6f, 0f, rows, cols);
            var u = ctx.Input(2f, 0f, rows, cols);
            var dy = ctx.Input(1f, 0f, rows, cols);
            ParityInput? dGate = gate ? ctx.Input(0.5f, 0f, rows, cols) : null;
            ParityInput? dUp = up ? ctx.Input(0.5f, 0f, rows, cols) : null;
            var gateBefore = dGate?.Oracle.Clone();
            var upBefore = dUp?.Oracle.Clone();
            ctx.Backend.Gradients.SwiGluBackward(g.Candidate, u.Candidate, dy.Candidate, dGate?.Candidate, dUp?.Candidate);
            ctx.Oracles.Gradients.SwiGluBackward(g.Oracle, u.Oracle, dy.Oracle, dGate?.Oracle, dUp?.Oracle);
            double dyScale = ParityTolerances.RootMeanSquare(dy.Oracle.Span);
            var outputs = new List<ParityOutput>();
            if (dGate is { } dg)
                outputs.Add(Output(ctx, "dgate", dg, gateBefore!, dyScale * ParityTolerances.RootMeanSquare(u.Oracle.Span)));
            if (dUp is { } du)
                outputs.Add(Output(ctx, "dup", du, upBefore!, dyScale * ParityTolerances.RootMeanSquare(g.Oracle.Span)));
            return new ParityOutcome([.. outputs]);
        }, Quick: quick, Family: ParityFamily.Gradients);

    private static ParityCase RopeBackward(int batch, int tokens, int heads, int headDim, int startPos, float theta, bool quick) =>
        new("rope backward", string.Create(CultureInfo.InvariantCulture, $"grad[{batch},{tokens},{heads},{headDim}] from {startPos}, θ={theta:G}"),
            ParityArithmetic.Float, ctx =>
        {
            var grad = ctx.Input(1f, 0f, batch, tokens, heads, headDim);
            ctx.Backend.Gradients.RopeBackward(grad.Candidate, startPos, theta);
            ctx.Oracles.Gradients.RopeBackward(grad.Oracle, startPos, theta);
            return new ParityOutcome(grad.Oracle, ctx.Read(grad.Candidate));
        }, Quick: quick, Family: ParityFamily.Gradients);

    /// <summary>Which gradients an attention backward computes (the others are passed as null).</summary>
    [Flags]
    public enum Computed { Dq = 1, Dk = 2, Dv = 4, All = Dq | Dk | Dv }

    public sealed record AttentionShape(int Batch, int Queries, int Keys, int Heads, int KvHeads, int KeyDim, int ValueDim, bool Causal,
        AttentionParityCases.Mask Mask = AttentionParityCases.Mask.None, Computed Gradients = Computed.All, bool Quick = false)
    {
        public override string ToString() =>
            $"B{Batch} T{Queries} S{Keys} H{Heads}/{KvHeads} d{KeyDim}/{ValueDim}" + (Causal ? ", causal" : "") + Mask switch
            {
                AttentionParityCases.Mask.EveryFifth => ", 1/5 hidden",
                AttentionParityCases.Mask.EveryFifthAndFirst => ", 1/5 + first hidden",
                _ => "",
            } + (Gradients == Computed.All ? "" : $" → {Gradients.ToString().ToLowerInvariant()} only");
    }

    public static readonly AttentionShape[] AttentionShapes =
    [
        new(1, 1, 1, 1, 1, 1, 1, Causal: false),
        new(2, 7, 7, 4, 2, 3, 5, Causal: true, Quick: true),
        new(2, 7, 7, 4, 2, 16, 16, Causal: false, AttentionParityCases.Mask.EveryFifth),
        new(2, 9, 9, 4, 4, 8, 8, Causal: true, AttentionParityCases.Mask.EveryFifthAndFirst, Quick: true),
        new(2, 7, 7, 4, 2, 16, 16, Causal: true, Gradients: Computed.Dq),
        new(2, 7, 7, 4, 2, 16, 16, Causal: true, Gradients: Computed.Dk | Computed.Dv),
        new(2, 5, 40, 8, 2, 64, 32, Causal: false),
        new(1, 33, 33, 8, 2, 64, 64, Causal: true, AttentionParityCases.Mask.EveryFifth),
        new(1, 64, 64, 12, 12, 64, 64, Causal: true, Quick: true),
        new(2, 64, 64, 12, 12, 64, 64, Causal: false),
    ];

    /// <summary>
    /// Whole sequences (keyCount = S, from position 0). The longest dot product is over the key dim (scores),
    /// the value dim (dP), the keys (dq) or the queries of a group (dk, dv: every query head reading a KV head).
    /// </summary>
    private static ParityCase AttentionBackward(AttentionShape s) =>
        new("attention backward", s.ToString(), ParityArithmetic.MatrixProduct, ctx =>
        {
            var q = ctx.Input(2f, 0f, s.Batch, s.Queries, s.Heads, s.KeyDim);
            var k = ctx.Input(1f, 0f, s.Batch, s.Keys, s.KvHeads, s.KeyDim);
            var v = ctx.Input(1f, 0f, s.Batch, s.Keys, s.KvHeads, s.ValueDim);
            var dOut = ctx.Input(1f, 0f, s.Batch, s.Queries, s.Heads, s.ValueDim);
            ParityInput? dq = s.Gradients.HasFlag(Computed.Dq) ? ctx.Input(0.25f, 0f, s.Batch, s.Queries, s.Heads, s.KeyDim) : null;
            ParityInput? dk = s.Gradients.HasFlag(Computed.Dk) ? ctx.Input(0.25f, 0f, s.Batch, s.Keys, s.KvHeads, s.KeyDim) : null;
            ParityInput? dv = s.Gradients.HasFlag(Computed.Dv) ? ctx.Input(0.25f, 0f, s.Batch, s.Keys, s.KvHeads, s.ValueDim) : null;
            var before = new[] { dq?.Oracle.Clone(), dk?.Oracle.Clone(), dv?.Oracle.Clone() };
            var mask = AttentionParityCases.KeyMask(s.Mask, s.Batch, s.Keys);
            float scale = 1f / MathF.Sqrt(s.KeyDim);
            ctx.Backend.Gradients.AttentionBackward(q.Candidate, k.Candidate, v.Candidate, dOut.Candidate,
                dq?.Candidate, dk?.Candidate, dv?.Candidate, s.Causal, scale, mask);
            ctx.Oracles.Gradients.AttentionBackward(q.Oracle, k.Oracle, v.Oracle, dOut.Oracle,
                dq?.Oracle, dk?.Oracle, dv?.Oracle, s.Causal, scale, mask);
            var outputs = new List<ParityOutput>();
            if (dq is { } gq) outputs.Add(Output(ctx, "dq", gq, before[0]!));
            if (dk is { } gk) outputs.Add(Output(ctx, "dk", gk, before[1]!));
            if (dv is { } gv) outputs.Add(Output(ctx, "dv", gv, before[2]!));
            return new ParityOutcome([.. outputs]);
        }, Reduction: Math.Max(Math.Max(s.KeyDim, s.ValueDim), Math.Max(s.Keys, s.Queries * (s.Heads / s.KvHeads))), Quick: s.Quick,
            Family: ParityFamily.Gradients);

    /// <summary>
    /// RMS of rstd·dy·γ: the size of the terms of a norm's gradient, rstd·(g − mean(g) − x̂·mean(g·x̂)), which cancel
    /// in short rows (to exactly zero for a LayerNorm of one or two elements).
    /// </summary>
    private static double NormGradientTerms(Tensor x, Tensor gamma, Tensor dy, bool layerNorm, float eps)
    {
        int d = checked((int)gamma.Count), rows = checked((int)(x.Count / d));
        var X = x.Span; var G = gamma.Span; var D = dy.Span;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = X.Slice(r * d, d);
            double mean = 0, variance = 0;
            if (layerNorm) foreach (var v in row) mean += v / (double)d;
            foreach (var v in row) variance += (v - mean) * (v - mean) / d;
            double rstd = 1 / Math.Sqrt(variance + eps);
            for (int i = 0; i < d; i++) sum += Math.Pow(rstd * D[r * d + i] * G[i], 2);
        }
        return Math.Sqrt(sum / x.Count);
    }

    /// <summary>The one output of a backward that added into <paramref name="gradient"/>.</summary>
    private static ParityOutcome Accumulated(ParityContext ctx, ParityInput gradient, Tensor before, double factors = 0) =>
        new(Output(ctx, "", gradient, before, factors));

    private static ParityOutput Output(ParityContext ctx, string name, ParityInput gradient, Tensor before, double factors = 0) =>
        new(name, gradient.Oracle, ctx.Read(gradient.Candidate), Math.Max(ParityTolerances.ScaleOfSum(before.Span, gradient.Oracle.Span), factors));
}
