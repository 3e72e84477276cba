using Ml = Microsoft.ML.Tokenizers;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// A SentencePiece BPE <c>tokenizer.model</c> (Llama, Llama 2, CodeLlama) through Microsoft.ML.Tokenizers'
/// LlamaTokenizer. BOS is added here, not by the library, so <see cref="Encode"/> controls it.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly Ml.SentencePieceTokenizer _inner;
    private readonly string[] _pieces;

    public string Source { get; }
    public string Name => $"SentencePiece BPE ({Path.GetFileName(Source)}, {VocabSize} tokens)";
    public int VocabSize => _pieces.Length;
    public int? BosId { get; }
    public int? EosId { get; }

    private SentencePieceTokenizer(string source, Ml.SentencePieceTokenizer inner)
    {
        Source = source;
        _inner = inner;
        int size = Math.Max(Math.Max(inner.BeginningOfSentenceId, inner.EndOfSentenceId), inner.UnknownId) + 1;
        foreach (int id in inner.Vocabulary.Values) size = Math.Max(size, id + 1);
        _pieces = new string[size];
        Array.Fill(_pieces, "");
        foreach (var (piece, id) in inner.Vocabulary) if (id >= 0) _pieces[id] = piece;
        BosId = inner.BeginningOfSentenceId >= 0 ? inner.BeginningOfSentenceId : null;
        EosId = inner.EndOfSentenceId >= 0 ? inner.EndOfSentenceId : null;
    }

    public static SentencePieceTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: tokenizer model not found");
        try
        {
            using var stream = File.OpenRead(path);
            return new SentencePieceTokenizer(path, Ml.LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false));
        }
        // The protobuf parser and the model checks inside the library throw a variety of types for a
        // file that is not a SentencePiece BPE model (protobuf errors derive from IOException); all of
        // them mean the same thing to a user.
        catch (Exception e) when (e is not (OutOfMemoryException or TokenizerException))
        {
            throw new TokenizerException($"{path}: not a SentencePiece BPE model ({e.GetType().Name}: {e.Message})", e);
        }
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false)
    {
        if (addBos && BosId is null) throw new TokenizerException($"{Source}: the model has no BOS token");
        return _inner.EncodeToIds(text, addBos, addEndOfSentence: false);
    }

    public string Decode(IEnumerable<int> ids)
    {
        var kept = new List<int>();
        foreach (int id in ids)
        {
            CheckId(id);
            if (id != BosId && id != EosId) kept.Add(id);
        }
        return _inner.Decode(kept);
    }

    public string DecodeToken(int previousId, int id) => StreamingDecoder.DecodeAfter(this, previousId, [id]);

    public string TokenText(int id)
    {
        CheckId(id);
        return _pieces[id];
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {_pieces.Length}");
    }
}
