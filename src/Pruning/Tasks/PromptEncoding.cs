using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Pruning.Tasks;

/// <summary>
/// Encodes a prompt together with its answer. The answer's tokens are read off the encoding of the
/// whole text rather than encoded alone, because tokenizers treat a word at the start of a text
/// differently (llama2.c adds a dummy-prefix space) from the same word after other text.
/// </summary>
internal static class PromptEncoding
{
    /// <summary>Tokens of <paramref name="prompt"/> + <paramref name="answer"/>, and how many of them are the prompt's.</summary>
    public static (int[] Tokens, int PromptLength) Encode(ITokenizer tokenizer, string prompt, string answer, bool addBos, string task)
    {
        var promptTokens = tokenizer.Encode(prompt, addBos);
        var tokens = tokenizer.Encode(prompt + answer, addBos);
        if (!IsPrefix(promptTokens, tokens, strict: true))
            throw new TaskDataException(
                $"task {task}: {tokenizer.Name} does not keep the tokens of \"{prompt}\" when \"{answer}\" follows, so the answer position is undefined");
        return (tokens.ToArray(), promptTokens.Count);
    }

    /// <summary>The first token of <paramref name="answer"/> as it is tokenized after <paramref name="prompt"/>
    /// (its first token when encoded alone if the prompt's tokens change once the answer follows).</summary>
    public static int? FirstAnswerToken(ITokenizer tokenizer, IReadOnlyList<int> promptTokens, string prompt, string answer, bool addBos)
    {
        var tokens = tokenizer.Encode(prompt + answer, addBos);
        if (IsPrefix(promptTokens, tokens, strict: true)) return tokens[promptTokens.Count];
        var alone = tokenizer.Encode(answer);
        return alone.Count > 0 ? alone[0] : null;
    }

    public static bool IsPrefix(IReadOnlyList<int> prefix, IReadOnlyList<int> tokens, bool strict)
    {
        if (tokens.Count < prefix.Count || (strict && tokens.Count == prefix.Count)) return false;
        for (int i = 0; i < prefix.Count; i++)
            if (prefix[i] != tokens[i]) return false;
        return true;
    }
}
