namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// The value of a Boolean expression written with True, False, not, and, or and parentheses, with Python's
/// precedence (not binds tighter than and, and tighter than or), as the task's labels were computed. A
/// trailing " is" is ignored. Used to check labels and to tell whether a corruption flips the answer.
/// </summary>
public static class BooleanExpressionEvaluator
{
    public static bool Evaluate(string text)
    {
        string expression = text.EndsWith(BooleanExpression.Suffix, StringComparison.Ordinal) ? text[..^BooleanExpression.Suffix.Length] : text;
        var tokens = Tokenize(expression);
        int at = 0;
        bool value = Or(tokens, ref at, text);
        if (at != tokens.Count) throw Bad(text, $"unexpected '{tokens[at]}'");
        return value;
    }

    private static bool Or(List<string> t, ref int at, string text)
    {
        bool value = And(t, ref at, text);
        while (at < t.Count && t[at] == "or")
        {
            at++;
            value |= And(t, ref at, text);
        }
        return value;
    }

    private static bool And(List<string> t, ref int at, string text)
    {
        bool value = Not(t, ref at, text);
        while (at < t.Count && t[at] == "and")
        {
            at++;
            value &= Not(t, ref at, text);
        }
        return value;
    }

    private static bool Not(List<string> t, ref int at, string text)
    {
        if (at < t.Count && t[at] == "not")
        {
            at++;
            return !Not(t, ref at, text);
        }
        return Atom(t, ref at, text);
    }

    private static bool Atom(List<string> t, ref int at, string text)
    {
        if (at >= t.Count) throw Bad(text, "it ends where a value is expected");
        string token = t[at++];
        switch (token)
        {
            case BooleanExpressionData.True: return true;
            case BooleanExpressionData.False: return false;
            case "(":
                bool value = Or(t, ref at, text);
                if (at >= t.Count || t[at] != ")") throw Bad(text, "a parenthesis is not closed");
                at++;
                return value;
            default:
                throw Bad(text, $"unexpected '{token}'");
        }
    }

    private static List<string> Tokenize(string expression)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < expression.Length)
        {
            char c = expression[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            int start = i;
            while (i < expression.Length && char.IsLetter(expression[i])) i++;
            if (i == start) { tokens.Add(c.ToString()); i++; continue; }
            tokens.Add(expression[start..i]);
        }
        return tokens;
    }

    private static TaskDataException Bad(string text, string why) => new($"\"{text}\" is not a Boolean expression: {why}");
}
