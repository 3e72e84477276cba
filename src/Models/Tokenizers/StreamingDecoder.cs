namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// Turns generated ids into text as they arrive. A character split over several byte tokens (byte
/// fallback, byte-level BPE) is held back until it is complete, so the pieces printed add up to
/// <see cref="ITokenizer.Decode"/> of the whole sequence.
/// </summary>
public sealed class StreamingDecoder
{
    // A UTF-8 character has at most 4 bytes, so after 4 held tokens the U+FFFD is real, not partial.
    private const int MaxHeld = 4;

    private readonly ITokenizer _tokenizer;
    private readonly List<int> _held = [];
    private int? _context;

    /// <param name="previousId">The id before the first one pushed (the prompt's last, or BOS), which
    /// decides details such as llama2.c dropping a space after BOS.</param>
    public StreamingDecoder(ITokenizer tokenizer, int? previousId = null)
    {
        _tokenizer = tokenizer;
        _context = previousId;
    }

    /// <summary>The text that <paramref name="id"/> completes; empty while a character is unfinished.</summary>
    public string Push(int id)
    {
        _held.Add(id);
        string text = DecodeHeld();
        if (text.EndsWith('\uFFFD') && _held.Count < MaxHeld) return "";
        _context = id;
        _held.Clear();
        return text;
    }

    /// <summary>Whatever is still held, U+FFFD included.</summary>
    public string Flush()
    {
        if (_held.Count == 0) return "";
        string text = DecodeHeld();
        _context = _held[^1];
        _held.Clear();
        return text;
    }

    private string DecodeHeld()
    {
        if (_context is not int context) return _tokenizer.Decode(_held);
        return DecodeAfter(_tokenizer, context, _held);
    }

    /// <summary>The text <paramref name="ids"/> add after <paramref name="context"/>: decode both and
    /// drop what the context alone decodes to. Tokenizers whose first token decodes differently
    /// (a SentencePiece leading space, llama2.c after BOS) get it right this way.</summary>
    internal static string DecodeAfter(ITokenizer tokenizer, int context, IReadOnlyList<int> ids)
    {
        string before = tokenizer.Decode([context]);
        string all = tokenizer.Decode([context, .. ids]);
        return all.StartsWith(before, StringComparison.Ordinal) ? all[before.Length..] : tokenizer.Decode(ids);
    }
}
