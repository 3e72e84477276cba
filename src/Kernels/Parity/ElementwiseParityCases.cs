using EdgePruning.Runtime;

namespace EdgePruning.Kernels.Parity;

/// <summary>Activations, SwiGLU and Add over sizes from one element to a model's hidden layer, in place and out of place.</summary>
internal static class ElementwiseParityCases
{
    private static readonly (int Rows, int Cols, bool Quick)[] Shapes = [(1, 1, true), (7, 65, false), (33, 768, true), (3, 1500, false)];

    public static IEnumerable<ParityCase> All()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            foreach (var (rows, cols, quick) in Shapes) yield return Activate(activation, rows, cols, inPlace: false, quick);
            yield return Activate(activation, 7, 127, inPlace: true, quick: false);
        }
        foreach (var (rows, cols, quick) in Shapes)
        {
            yield return SwiGlu(rows, cols, inPlace: false, quick);
            yield return Add(rows, cols, inPlace: false, quick);
        }
        yield return SwiGlu(7, 127, inPlace: true, quick: true);
        yield return Add(7, 127, inPlace: true, quick: true);
    }

    /// <summary>
    /// Inputs over ±6, past the bend of every activation and into GELU's tails. The result's typical size is
    /// that of the input as well: far left, GELU and SiLU are tiny differences of order-|x| terms, which f32
    /// resolves only to ~1e-7·|x| (a one-element tensor there has no larger output to measure by).
    /// </summary>
    private static ParityCase Activate(Activation activation, int rows, int cols, bool inPlace, bool quick) =>
        new($"activate {Name(activation)}", $"x[{rows},{cols}]{(inPlace ? " in place" : "")}", ParityArithmetic.Float, ctx =>
        {
            var x = ctx.Input(6f, 0f, rows, cols);
            var y = inPlace ? x.Candidate : ctx.Output(rows, cols);
            var expected = inPlace ? x.Oracle : ctx.OracleOutput(rows, cols);
            double inputScale = ParityTolerances.RootMeanSquare(x.Oracle.Span);
            ctx.Candidate.Activate(activation, x.Candidate, y);
            ctx.Oracle.Activate(activation, x.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(y), Math.Max(inputScale, ParityTolerances.RootMeanSquare(expected.Span)));
        }, Quick: quick);

    private static ParityCase SwiGlu(int rows, int cols, bool inPlace, bool quick) =>
        Binary("swiglu", "gate,up", "gate", 6f, 2f, rows, cols, inPlace, quick, (k, a, b, y) => k.SwiGlu(a, b, y));

    private static ParityCase Add(int rows, int cols, bool inPlace, bool quick) =>
        Binary("add", "a,b", "a", 4f, 4f, rows, cols, inPlace, quick, (k, a, b, y) => k.Add(a, b, y));

    /// <summary>An elementwise kernel of two inputs, written to a fresh output or in place into the first input.</summary>
    private static ParityCase Binary(string name, string inputs, string first, float scaleA, float scaleB, int rows, int cols,
        bool inPlace, bool quick, Action<IKernels, Tensor, Tensor, Tensor> run) =>
        new(name, $"{inputs}[{rows},{cols}]{(inPlace ? " into " + first : "")}", ParityArithmetic.Float, ctx =>
        {
            var a = ctx.Input(scaleA, 0f, rows, cols);
            var b = ctx.Input(scaleB, 0f, rows, cols);
            var y = inPlace ? a.Candidate : ctx.Output(rows, cols);
            var expected = inPlace ? a.Oracle : ctx.OracleOutput(rows, cols);
            run(ctx.Candidate, a.Candidate, b.Candidate, y);
            run(ctx.Oracle, a.Oracle, b.Oracle, expected);
            return new ParityOutcome(expected, ctx.Read(y));
        }, Quick: quick);

    internal static string Name(Activation activation) => activation switch
    {
        Activation.GeluErf => "gelu-erf",
        Activation.GeluTanh => "gelu-tanh",
        Activation.Relu => "relu",
        Activation.Silu => "silu",
        _ => activation.ToString(),
    };
}
