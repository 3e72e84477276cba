using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>
/// The fused masked read and its backward against <see cref="MaskedReadReference"/>, LayerNorm (with β) and
/// RMSNorm: the stack D in the check's dtype, y and dY in f32 and (where the backend stores it) bf16, the
/// backward's dD likewise (a bf16 run holds it in bf16), so a bf16 backend runs every pairing. Shapes from one reader of one writer to a GPT-2 layer's readers over 16 tokens,
/// more readers than one register group of the kernel (8), and rows longer than a block's pass. Masks lie in
/// [0,1] with one writer masked off for every reader (the kernel skips its D rows). The backward takes the
/// oracle's statistics, so it is checked apart from the forward, and adds into gradients that hold values.
/// The forward is also checked under grouped masks z [G,R,U] (each run of N/G tokens under its own masks).
/// </summary>
internal static class MaskedReadParityCases
{
    private static readonly (int Readers, int Writers, int Tokens, int Dim, bool Quick)[] Shapes =
        [(1, 1, 1, 3, true), (9, 4, 3, 130, false), (12, 25, 16, 768, true), (2, 3, 5, 1500, false)];

    /// <summary>Grouped forwards: groups of one token, groups of several, and more readers than a register group.</summary>
    private static readonly MaskedReadShape[] GroupedShapes =
        [new(3, 5, 4, 37, Groups: 4), new(9, 6, 12, 130, Groups: 3), new(12, 25, 16, 256, Groups: 2)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var (readers, writers, tokens, dim, quick) in Shapes)
            foreach (var kind in new[] { MaskedReadNormKind.LayerNorm, MaskedReadNormKind.RmsNorm })
                foreach (var output in new[] { DType.F32, DType.BF16 })
                {
                    bool shapeQuick = quick && output == DType.F32;
                    var shape = new MaskedReadShape(readers, writers, tokens, dim);
                    yield return Forward(shape, kind, output, shapeQuick && kind == MaskedReadNormKind.LayerNorm);
                    yield return Backward(shape, kind, output, DType.F32, shapeQuick && kind == MaskedReadNormKind.RmsNorm);
                    yield return Backward(shape, kind, output, DType.BF16, quick: false);
                }
        foreach (var shape in GroupedShapes)
            foreach (var kind in new[] { MaskedReadNormKind.LayerNorm, MaskedReadNormKind.RmsNorm })
                foreach (var output in new[] { DType.F32, DType.BF16 })
                    yield return Forward(shape, kind, output, quick: output == DType.F32 && kind == MaskedReadNormKind.LayerNorm);
    }

    /// <summary>y in <paramref name="output"/>; mean (LayerNorm) and rstd f32, each measured in its own dtype.</summary>
    private static ParityCase Forward(MaskedReadShape s, MaskedReadNormKind kind, DType output, bool quick) =>
        new("masked read forward", $"{Name(kind)}: {Sizes(s)} → y {output.Name()}, {(kind == MaskedReadNormKind.LayerNorm ? "mean, " : "")}rstd",
            ParityArithmetic.Float, ctx =>
        {
            var input = Inputs(ctx, s, kind);
            bool layerNorm = kind == MaskedReadNormKind.LayerNorm;
            var y = ctx.OutputIn(output, s.Readers, s.Tokens, s.Dim);
            var mean = layerNorm ? ctx.OutputIn(DType.F32, s.Readers, s.Tokens) : null;
            var rstd = ctx.OutputIn(DType.F32, s.Readers, s.Tokens);
            var expected = ctx.OracleOutput(s.Readers, s.Tokens, s.Dim);
            var expectedMean = layerNorm ? ctx.OracleOutput(s.Readers, s.Tokens) : null;
            var expectedRstd = ctx.OracleOutput(s.Readers, s.Tokens);
            ctx.Backend.MaskedRead.Forward(input.Z.Candidate, input.Stack.Candidate, input.Corrupted.Candidate, input.Candidate, y, mean, rstd);
            ctx.Oracles.MaskedRead.Forward(input.Z.Oracle, input.Stack.Oracle, input.Corrupted.Oracle, input.Oracle, expected, expectedMean, expectedRstd);
            var outputs = new List<ParityOutput> { new("y", expected, ctx.Read(y), DType: output) };
            // A mean is a sum of order-|x| terms that may cancel: measured against the row's spread 1/rstd as well.
            if (layerNorm)
                outputs.Add(new ParityOutput("mean", expectedMean!, ctx.Read(mean!), Math.Max(ParityTolerances.RootMeanSquare(expectedMean!.Span), Spread(expectedRstd)), DType.F32));
            outputs.Add(new ParityOutput("rstd", expectedRstd, ctx.Read(rstd), DType: DType.F32));
            return new ParityOutcome([.. outputs]);
        }, Quick: quick, Family: ParityFamily.MaskedRead, Needs: output == DType.BF16 ? DType.BF16 : null);

    /// <summary>
    /// dY in <paramref name="output"/>, dD in <paramref name="stackGrad"/>; dz, dD and dC are f32 sums of f32
    /// arithmetic on values both sides hold exactly, so dz and dC, and an f32 dD, are held to f32 whatever D and
    /// dY are stored in. A bf16 dD is that f32 sum rounded to bf16 as it is stored (the oracle keeps it in f32):
    /// held to the bf16 rule, which allows two roundings. The kernel rounds once per tile of readers, and each
    /// shape here fits its readers in one tile.
    /// </summary>
    private static ParityCase Backward(MaskedReadShape s, MaskedReadNormKind kind, DType output, DType stackGrad, bool quick) =>
        new("masked read backward", $"{Name(kind)}: {Sizes(s)}, dY {output.Name()} → dz, dD {stackGrad.Name()}, dC += …", ParityArithmetic.Float, ctx =>
        {
            var input = Inputs(ctx, s, kind);
            bool layerNorm = kind == MaskedReadNormKind.LayerNorm;
            var hostMean = layerNorm ? Tensor.Empty(DType.F32, s.Readers, s.Tokens) : null;
            var hostRstd = Tensor.Empty(DType.F32, s.Readers, s.Tokens);
            ctx.Oracles.MaskedRead.Forward(input.Z.Oracle, input.Stack.Oracle, input.Corrupted.Oracle, input.Oracle,
                Tensor.Empty(DType.F32, s.Readers, s.Tokens, s.Dim), hostMean, hostRstd);
            ParityInput? mean = hostMean is null ? null : ctx.Input(hostMean, DType.F32);
            var rstd = ctx.Input(hostRstd, DType.F32);
            var dY = ctx.Input(ctx.HostRandom(1f, 0f, s.Readers, s.Tokens, s.Dim), output);
            var dz = ctx.Input(ctx.HostRandom(0.5f, 0f, s.Readers, s.Writers), DType.F32);
            var dStack = ctx.Input(ctx.HostRandom(0.5f, 0f, s.Writers, s.Tokens, s.Dim), stackGrad);
            var dCorrupted = ctx.Input(ctx.HostRandom(0.5f, 0f, s.Tokens, s.Dim), DType.F32);
            var before = new[] { dz.Oracle.Clone(), dStack.Oracle.Clone(), dCorrupted.Oracle.Clone() };
            ctx.Backend.MaskedRead.Backward(input.Z.Candidate, input.Stack.Candidate, input.Corrupted.Candidate, input.Candidate,
                mean?.Candidate, rstd.Candidate, dY.Candidate, dz.Candidate, dStack.Candidate, dCorrupted.Candidate);
            ctx.Oracles.MaskedRead.Backward(input.Z.Oracle, input.Stack.Oracle, input.Corrupted.Oracle, input.Oracle,
                mean?.Oracle, rstd.Oracle, dY.Oracle, dz.Oracle, dStack.Oracle, dCorrupted.Oracle);
            return new ParityOutcome(
                Accumulated(ctx, "dz", dz, before[0]),
                Accumulated(ctx, "dD", dStack, before[1], stackGrad),
                Accumulated(ctx, "dC", dCorrupted, before[2]));
        }, Quick: quick, Family: ParityFamily.MaskedRead, Needs: output == DType.BF16 || stackGrad == DType.BF16 ? DType.BF16 : null);

    private sealed record MaskedReadInputs(ParityInput Z, ParityInput Stack, ParityInput Corrupted, MaskedReadNorm Candidate, MaskedReadNorm Oracle);

    /// <summary>
    /// z [R,U] (grouped: [G,R,U]) in [0,1] (z[0,0] = 1, writer 1 masked off when there are three or more; grouped, writer
    /// 2 also masked off in every other group), D in the check's dtype, C, γ and β f32.
    /// </summary>
    private static MaskedReadInputs Inputs(ParityContext ctx, MaskedReadShape s, MaskedReadNormKind kind)
    {
        var hostZ = s.Groups == 1 ? ctx.HostRandom(0.5f, 0.5f, s.Readers, s.Writers) : ctx.HostRandom(0.5f, 0.5f, s.Groups, s.Readers, s.Writers);
        var zs = hostZ.Span;
        zs[0] = 1f;
        if (s.Writers >= 3)
            for (int r = 0; r < s.Groups * s.Readers; r++)
            {
                zs[r * s.Writers + 1] = 0f;
                if (r / s.Readers % 2 == 1) zs[r * s.Writers + 2] = 0f;
            }
        var z = ctx.Input(hostZ, DType.F32);
        var stack = ctx.Input(1f, 0f, s.Writers, s.Tokens, s.Dim);
        var corrupted = ctx.Input(ctx.HostRandom(1f, 0f, s.Tokens, s.Dim), DType.F32);
        var gamma = ctx.Input(ctx.HostRandom(0.5f, 1f, s.Dim), DType.F32);
        if (kind == MaskedReadNormKind.RmsNorm)
            return new(z, stack, corrupted, MaskedReadNorm.RmsNorm(gamma.Candidate, 1e-6f), MaskedReadNorm.RmsNorm(gamma.Oracle, 1e-6f));
        var beta = ctx.Input(ctx.HostRandom(0.5f, 0f, s.Dim), DType.F32);
        return new(z, stack, corrupted, MaskedReadNorm.LayerNorm(gamma.Candidate, beta.Candidate, 1e-5f),
            MaskedReadNorm.LayerNorm(gamma.Oracle, beta.Oracle, 1e-5f));
    }

    /// <summary>RMS of 1/rstd: the rows' standard deviation.</summary>
    private static double Spread(Tensor rstd)
    {
        double sum = 0;
        foreach (var r in rstd.Span) sum += 1 / ((double)r * r);
        return Math.Sqrt(sum / rstd.Count);
    }

    private static ParityOutput Accumulated(ParityContext ctx, string name, ParityInput gradient, Tensor before, DType stored = DType.F32) =>
        new(name, gradient.Oracle, ctx.Read(gradient.Candidate), ParityTolerances.ScaleOfSum(before.Span, gradient.Oracle.Span), stored);

    private static string Sizes(MaskedReadShape s) =>
        $"z[{(s.Groups == 1 ? "" : $"{s.Groups},")}{s.Readers},{s.Writers}] D[{s.Writers},{s.Tokens},{s.Dim}]";

    private static string Name(MaskedReadNormKind kind) => kind == MaskedReadNormKind.LayerNorm ? "layernorm" : "rmsnorm";
}
