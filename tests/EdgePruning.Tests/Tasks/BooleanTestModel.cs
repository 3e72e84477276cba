using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Models.Tokenizers;
using EdgePruning.Tests.Tokenizers;

namespace EdgePruning.Tests.Tasks;

/// <summary>
/// A small random Llama checkpoint (Hugging Face layout) with a SentencePiece <c>tokenizer.model</c> beside it
/// whose vocabulary holds the words of the Boolean Expressions prompts, for running those tasks end to end.
/// </summary>
internal static class BooleanTestModel
{
    public static readonly string[] Words =
    [
        "True", "False", "not", "and", "or", "is", "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>",
        "Evaluate", "the", "following", "boolean", "expression", "as", "either",
    ];

    /// <summary>Writes tokenizer.model into <paramref name="directory"/> and returns its path.</summary>
    public static string WriteTokenizer(string directory, IEnumerable<string>? words = null)
    {
        string path = Path.Combine(directory, "tokenizer.model");
        File.WriteAllBytes(path, SentencePieceModelWriter.ForWords(words ?? Words));
        return path;
    }

    public static TransformerConfig Config(int vocab) =>
        KnownShapes.Llama(layers: 2, heads: 4, kvHeads: 2, dim: 16, mlp: 24, vocab, positions: 128);

    /// <summary>Writes the checkpoint and its tokenizer into <paramref name="directory"/>; returns the tokenizer.</summary>
    public static SentencePieceTokenizer Write(string directory, int seed = 3)
    {
        var tokenizer = SentencePieceTokenizer.Load(WriteTokenizer(directory));
        var config = Config(tokenizer.VocabSize);
        // Weights of ±0.3 rather than the writer's 0.02, so that edges change the output measurably.
        RandomModelWriter.WriteHfLlama(directory, config, RandomModels.Weights(config, seed));
        return tokenizer;
    }
}
