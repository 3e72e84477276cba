using EdgePruning.Runtime;

namespace EdgePruning.Models.Tokenizers;

/// <summary>A tokenizer file that cannot be read, text it cannot encode, or a tokenizer that does not
/// fit the model it is paired with. The message names the file.</summary>
public sealed class TokenizerException : EdgePruningException
{
    public TokenizerException(string message) : base(message) { }
    public TokenizerException(string message, Exception inner) : base(message, inner) { }
}
