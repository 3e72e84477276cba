using System.Text.RegularExpressions;

namespace EdgePruning.Pruning.Tasks;

/// <summary>One generated expression: its input ("EXPR is"), its value, number of literals and nesting depth.</summary>
public sealed record BooleanExpression(string Input, bool Target, int Length, int Depth)
{
    public const string Suffix = " is";

    /// <summary>The expression without the trailing " is".</summary>
    public string Expression => Input.EndsWith(Suffix, StringComparison.Ordinal) ? Input[..^Suffix.Length] : Input;

    /// <summary>The corrupted input: every literal flipped (True ↔ False), operators, parentheses and " is" unchanged.</summary>
    public string CorruptedInput => BooleanExpressionData.FlipLiterals(Input);

    public string TargetText => Target ? BooleanExpressionData.True : BooleanExpressionData.False;
}

/// <summary>
/// The Boolean Expressions data of Edge Pruning's CodeLlama case study, regenerated here: the grammar and
/// defaults of the published preparation script (boolean_expressions.json, "grammar"), drawn from CPython's
/// random seeded 42 in the script's exact draw order, de-duplicated, shuffled and split as the script does.
/// This gives the released 3,840 / 767 / 3,070 splits row for row. The corruption is the released data's:
/// every literal flipped.
/// </summary>
public static class BooleanExpressionData
{
    public const string True = "True", False = "False";

    // The published script's defaults (boolean_expressions.json describes each).
    private const uint Seed = 42;
    private const int Wanted = 10_000, MaxTries = 5 * Wanted, MaxLength = 6, MaxDepth = 3, MaxRedraws = 10_000;
    private const double ValidationRatio = 0.1, TestRatio = 0.4;
    /// <summary>max_consecutive_not = 2: three directly nested nots are refused.</summary>
    private const string TooManyNots = "not ( not ( not";

    // Draw orders of the script's random.choice calls (they fix which word each draw picks).
    private static readonly bool[] LiteralDraw = [false, true];
    private static readonly string[] OperationDraw = ["or", "and", "not"];

    private static readonly Lazy<Splits> s_released = new(Generate);

    /// <summary>The three splits in the released order.</summary>
    public sealed record Splits(IReadOnlyList<BooleanExpression> Train, IReadOnlyList<BooleanExpression> Validation, IReadOnlyList<BooleanExpression> Test);

    public static Splits Released => s_released.Value;

    /// <summary>Every literal of <paramref name="text"/> flipped, whole words only.</summary>
    public static string FlipLiterals(string text) =>
        Regex.Replace(text, @"\b(True|False)\b", m => m.Value == True ? False : True);

    private static Splits Generate()
    {
        var rng = new PythonRandom(Seed);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var data = new List<BooleanExpression>();
        for (int attempt = 0; attempt < MaxTries && data.Count < Wanted; attempt++)
        {
            var e = Sample(rng);
            if (e is not null && seen.Add(e.Input)) data.Add(e);
        }
        int n = data.Count;
        int validation = (int)(ValidationRatio * n), test = (int)(TestRatio * n);
        int train = n - validation - test;
        rng.Shuffle(data);
        return new Splits(data.GetRange(0, train), data.GetRange(train, validation), data.GetRange(train + validation, n - train - validation));
    }

    /// <summary>One expression that passes the depth and not filters, or null after the script's redraw limit.</summary>
    private static BooleanExpression? Sample(PythonRandom rng)
    {
        for (int redraw = 0; redraw < MaxRedraws; redraw++)
        {
            int length = rng.RandInt(1, MaxLength);
            var values = new List<bool>(length);
            for (int i = 0; i < length; i++) values.Add(rng.Choice(LiteralDraw));
            var texts = values.Select(v => v ? True : False).ToList();
            var depths = Enumerable.Repeat(0, length).ToList();
            while (texts.Count > 1)
            {
                string op = rng.Choice(OperationDraw);
                if (op == "not")
                {
                    int i = rng.RandInt(0, texts.Count - 1);
                    texts[i] = "not " + Operand(texts[i]);
                    values[i] = !values[i];
                    depths[i]++;
                }
                else
                {
                    int i = rng.RandInt(0, texts.Count - 2);
                    texts[i] = $"{Operand(texts[i])} {op} {Operand(texts[i + 1])}";
                    values[i] = op == "or" ? values[i] || values[i + 1] : values[i] && values[i + 1];
                    depths[i] = Math.Max(depths[i], depths[i + 1]) + 1;
                    texts.RemoveAt(i + 1); values.RemoveAt(i + 1); depths.RemoveAt(i + 1);
                }
            }
            if (!texts[0].Contains(TooManyNots, StringComparison.Ordinal) && depths[0] <= MaxDepth)
                return new BooleanExpression(texts[0] + BooleanExpression.Suffix, values[0], length, depths[0]);
        }
        return null;
    }

    /// <summary>A bare literal stays bare; anything else is wrapped as "( ... )".</summary>
    private static string Operand(string text) => text is True or False ? text : $"( {text} )";
}
