namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// Text ↔ token ids for one model's vocabulary. Implementations are immutable and safe to share
/// across threads.
/// </summary>
public interface ITokenizer
{
    /// <summary>A short description for logs, such as "llama2.c BPE, 512 tokens".</summary>
    string Name { get; }

    /// <summary>The file or directory it was read from, or the name of a built-in vocabulary.</summary>
    string Source { get; }

    /// <summary>One more than the largest id this tokenizer can produce.</summary>
    int VocabSize { get; }

    int? BosId { get; }
    int? EosId { get; }

    /// <summary>Encodes <paramref name="text"/>; with <paramref name="addBos"/> the BOS id comes first
    /// (a tokenizer without one throws <see cref="TokenizerException"/>).</summary>
    IReadOnlyList<int> Encode(string text, bool addBos = false);

    /// <summary>The text the ids stand for. BOS and EOS add no text, except where they are ordinary
    /// symbols of the vocabulary (Tracr).</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>
    /// The text <paramref name="id"/> adds after <paramref name="previousId"/>, for printing a generation
    /// as it runs (llama2.c: a leading space is dropped right after BOS). A byte that is only part of
    /// a UTF-8 character comes out as U+FFFD here; <see cref="StreamingDecoder"/> joins such bytes.
    /// </summary>
    string DecodeToken(int previousId, int id);

    /// <summary>The vocabulary entry for <paramref name="id"/> as a readable string, for labelling
    /// positions and logits (byte tokens keep their "&lt;0xAB&gt;" form where the format has one).</summary>
    string TokenText(int id);
}
