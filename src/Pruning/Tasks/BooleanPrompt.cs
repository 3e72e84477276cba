namespace EdgePruning.Pruning.Tasks;

/// <summary>How a Boolean expression is put to the model (the reference's evaluation modes).</summary>
public enum BooleanPromptStyle
{
    /// <summary>Llama-2 chat format with the system prompt; the expression without " is"; ends "[/INST] '".</summary>
    Instruction,
    /// <summary>Three worked examples, one a line, then the input ending " is".</summary>
    FewShot,
    /// <summary>The input alone, ending " is".</summary>
    ZeroShot,
}

/// <summary>
/// The prompts of boolean_expressions.json ("prompts"): the instruction format with its system prompt, the
/// few-shot format with its three shots, and the zero-shot input. The answer follows the prompt directly:
/// "True" right after the quote that ends the instruction prompt, " True" after the " is" of the others.
/// </summary>
public sealed class BooleanPrompt
{
    private readonly string _format;

    private BooleanPrompt(BooleanPromptStyle style, string format)
    {
        Style = style;
        _format = format;
    }

    public BooleanPromptStyle Style { get; }

    public static BooleanPrompt For(BooleanPromptStyle style)
    {
        var prompts = TaskDataFiles.Read("boolean_expressions.json").At("prompts");
        // The formats are stored with "\n" written out as a backslash and an n.
        string Format(params string[] path) => prompts.String(path).Replace("\\n", "\n", StringComparison.Ordinal);
        string format = style switch
        {
            BooleanPromptStyle.Instruction => Format("instruction", "format")
                .Replace("{system_prompt}", prompts.String("instruction", "system_prompt"), StringComparison.Ordinal),
            BooleanPromptStyle.FewShot => FillShots(Format("few_shot", "format"), prompts.Strings("few_shot", "shots")),
            BooleanPromptStyle.ZeroShot => Format("zero_shot", "format"),
            _ => throw new ArgumentOutOfRangeException(nameof(style), style, null),
        };
        return new BooleanPrompt(style, format);
    }

    /// <summary>The prompt for an input ("EXPR is"); the instruction format drops the " is".</summary>
    public string Text(string input)
    {
        if (Style != BooleanPromptStyle.Instruction) return _format.Replace("{input}", input, StringComparison.Ordinal);
        int cut = input.LastIndexOf(BooleanExpression.Suffix, StringComparison.Ordinal);
        string expression = cut >= 0 ? input[..cut] : input;
        return _format.Replace("{expression}", expression, StringComparison.Ordinal);
    }

    /// <summary>The answer text as it follows the prompt.</summary>
    public string Answer(bool value)
    {
        string word = value ? BooleanExpressionData.True : BooleanExpressionData.False;
        return Style == BooleanPromptStyle.Instruction ? word : " " + word;
    }

    private static string FillShots(string format, string[] shots)
    {
        for (int i = 0; i < shots.Length; i++) format = format.Replace($"{{shot{i + 1}}}", shots[i], StringComparison.Ordinal);
        if (format.Contains("{shot", StringComparison.Ordinal))
            throw new TaskDataException($"boolean_expressions.json: the few-shot format names more shots than the {shots.Length} given");
        return format;
    }
}
