using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace EdgePruning.Cli;

/// <summary>
/// The allowed values of numeric options, checked while the command line is parsed, before anything is
/// loaded. A number that does not parse, is not finite or is out of range is one line naming the option
/// and the value (never a .NET type name); <see cref="CliApp"/> reports such value errors with exit 1,
/// unlike usage errors (an unknown option), which exit 2.
/// </summary>
public static class OptionRules
{
    /// <summary>Whole numbers of at least <paramref name="min"/> (and at most <paramref name="max"/>).</summary>
    public static Option<int?> AtLeast(this Option<int?> option, int min, int max = int.MaxValue, string? why = null)
    {
        option.CustomParser = r => ParseInt(r, option.Name, min, max, why);
        return option;
    }

    /// <inheritdoc cref="AtLeast(Option{int?}, int, int, string?)"/>
    public static Option<int> AtLeast(this Option<int> option, int min, int max = int.MaxValue, string? why = null)
    {
        option.CustomParser = r => ParseInt(r, option.Name, min, max, why) ?? 0;
        return option;
    }

    /// <summary>Finite numbers in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<double?> Within(this Option<double?> option, double min, double max)
    {
        option.CustomParser = r => ParseDouble(r, option.Name, min, max, exclusiveMin: false);
        return option;
    }

    /// <summary>Finite numbers above zero (learning rates, budgets), or from zero when <paramref name="orZero"/>.</summary>
    public static Option<double?> Positive(this Option<double?> option, bool orZero = false)
    {
        option.CustomParser = r => ParseDouble(r, option.Name, 0, double.MaxValue, exclusiveMin: !orZero);
        return option;
    }

    /// <summary>Finite numbers of at least zero, as float (the sampling temperature).</summary>
    public static Option<float> NonNegative(this Option<float> option)
    {
        option.CustomParser = r => (float)(ParseDouble(r, option.Name, 0, float.MaxValue, exclusiveMin: false) ?? 0);
        return option;
    }

    /// <summary>
    /// True for a parse error about a value given to an option (exit 1): the parsers here report on the
    /// option that holds the value. Usage errors (an unknown option, a required option left out, an option
    /// without its value) have no value to blame.
    /// </summary>
    public static bool IsValueError(ParseError error) =>
        error.SymbolResult is ArgumentResult { Tokens.Count: > 0 } or OptionResult { Tokens.Count: > 0 };

    private static int? ParseInt(ArgumentResult r, string name, int min, int max, string? why)
    {
        string text = Token(r);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            return Fail<int?>(r, $"{name} '{text}' is not a whole number");
        if (v < min || v > max)
        {
            string range = max == int.MaxValue ? $"at least {min}" : $"from {min} to {max}";
            return Fail<int?>(r, $"{name} {v} is out of range: it must be {range}{(why is null ? "" : " (" + why + ")")}");
        }
        return v;
    }

    private static double? ParseDouble(ArgumentResult r, string name, double min, double max, bool exclusiveMin)
    {
        string text = Token(r);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            return Fail<double?>(r, $"{name} '{text}' is not a finite number");
        bool low = exclusiveMin ? v <= min : v < min;
        if (low || v > max)
        {
            string range = exclusiveMin ? $"above {min}" : max >= float.MaxValue ? $"at least {min}" : $"in [{min}, {max}]";
            return Fail<double?>(r, $"{name} {text} is out of range: it must be {range}");
        }
        return v;
    }

    private static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";

    private static T? Fail<T>(ArgumentResult r, string message)
    {
        r.AddError(message);
        return default;
    }
}
