using System.Globalization;
using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// A SentencePiece BPE <c>tokenizer.model</c> (Llama, Llama 2, CodeLlama) through Microsoft.ML.Tokenizers'
/// LlamaTokenizer. BOS is added here, not by the library, so <see cref="Encode"/> controls it.
/// Decoding is done here from the pieces: the library drops the space of the first word even when
/// byte tokens come before it, which breaks decoding a token after its predecessor.
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    private readonly Ml.SentencePieceTokenizer _inner;
    private readonly string[] _pieces;
    /// <summary>The byte a "&lt;0xAB&gt;" piece stands for, or -1.</summary>
    private readonly short[] _byteValue;
    private const char SpaceSymbol = '\u2581';

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
        _byteValue = new short[size];
        for (int id = 0; id < size; id++) _byteValue[id] = inner.ByteFallback ? ParseByteToken(_pieces[id]) : (short)-1;
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

    /// <summary>SentencePiece's decode: control tokens vanish, U+2581 becomes a space, byte tokens are
    /// raw bytes, and the space a dummy prefix put before the first word is dropped.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        bool first = true;
        foreach (int id in ids)
        {
            CheckId(id);
            if (id == BosId || id == EosId) continue;
            if (_byteValue[id] >= 0)
            {
                bytes.Add((byte)_byteValue[id]);
                first = false;
                continue;
            }
            string piece = id == _inner.UnknownId ? " \u2047 " : _pieces[id];
            if (first && _inner.AddDummyPrefix && piece.Length > 0 && piece[0] == SpaceSymbol) piece = piece[1..];
            first = false;
            bytes.AddRange(Encoding.UTF8.GetBytes(piece.Replace(SpaceSymbol, ' ')));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public string DecodeToken(int previousId, int id) => StreamingDecoder.DecodeAfter(this, previousId, [id]);

    public string TokenText(int id)
    {
        CheckId(id);
        return _pieces[id];
    }

    private static short ParseByteToken(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b) ? b : (short)-1;

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_pieces.Length) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {_pieces.Length}");
    }
}
