using System.Text;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

/// <summary>
/// Writes SentencePiece BPE <c>tokenizer.model</c> files (the ModelProto of sentencepiece_model.proto): for a
/// llama2.c vocabulary, which is a SentencePiece export to begin with (same pieces and scores, spaces as
/// U+2581, &lt;s&gt;/&lt;/s&gt; as control pieces, byte tokens as BYTE pieces, no normalization), or a small
/// vocabulary of given words laid out as Llama's is.
/// </summary>
internal static class SentencePieceModelWriter
{
    private const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;
    private const int ModelTypeBpe = 2;

    public static byte[] FromLlama2c(Llama2cTokenizer source)
    {
        var pieces = new List<(string Piece, float Score, int Type)>(source.VocabSize);
        for (int id = 0; id < source.VocabSize; id++)
        {
            string text = source.TokenText(id);
            pieces.Add(id switch
            {
                0 => ("<unk>", source.Score(id), Unknown),
                Llama2cTokenizer.Bos => ("<s>", source.Score(id), Control),
                Llama2cTokenizer.Eos => ("</s>", source.Score(id), Control),
                _ when id >= 3 && id < 259 => (text, source.Score(id), Byte),
                _ => (text.Replace(' ', '\u2581'), source.Score(id), Normal),
            });
        }
        return Write(pieces, Llama2cTokenizer.Bos, Llama2cTokenizer.Eos);
    }

    /// <summary>
    /// A small Llama-style model: &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, the 256 byte pieces, then every character of
    /// <paramref name="words"/> and every prefix of each word, bare and after a word boundary (U+2581), scored by
    /// length so that BPE merges each listed word into one piece. Anything else falls back to bytes.
    /// </summary>
    public static byte[] ForWords(IEnumerable<string> words)
    {
        var pieces = new List<(string Piece, float Score, int Type)> { ("<unk>", 0, Unknown), ("<s>", 0, Control), ("</s>", 0, Control) };
        for (int b = 0; b < 256; b++) pieces.Add(($"<0x{b:X2}>", 0, Byte));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string piece)
        {
            if (seen.Add(piece)) pieces.Add((piece, piece.Length - seen.Count * 1e-4f, Normal));
        }
        Add("\u2581");
        foreach (string word in words)
        {
            foreach (char c in word) Add(c.ToString());
            foreach (string form in new[] { word, "\u2581" + word })
                for (int n = 2; n <= form.Length; n++) Add(form[..n]);
        }
        return Write(pieces, bos: 1, eos: 2);
    }

    private static byte[] Write(IReadOnlyList<(string Piece, float Score, int Type)> pieces, int bos, int eos)
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            var entry = new MemoryStream();
            WriteString(entry, 1, piece);
            WriteFloat(entry, 2, score);
            WriteVarintField(entry, 3, type);
            WriteMessage(model, 1, entry);
        }

        var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, ModelTypeBpe);
        WriteVarintField(trainer, 4, pieces.Count);
        WriteVarintField(trainer, 35, 1);  // byte_fallback
        WriteVarintField(trainer, 40, 0);  // unk_id
        WriteVarintField(trainer, 41, bos);
        WriteVarintField(trainer, 42, eos);
        WriteVarintField(trainer, 43, -1); // pad_id
        WriteMessage(model, 2, trainer);

        var normalizer = new MemoryStream();
        WriteString(normalizer, 1, "identity");
        WriteVarintField(normalizer, 3, 1); // add_dummy_prefix
        WriteVarintField(normalizer, 4, 0); // remove_extra_whitespaces
        WriteVarintField(normalizer, 5, 1); // escape_whitespaces
        WriteMessage(model, 3, normalizer);
        return model.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteVarintField(Stream s, int field, long value)
    {
        WriteTag(s, field, 0);
        WriteVarint(s, (ulong)value);
    }

    private static void WriteFloat(Stream s, int field, float value)
    {
        WriteTag(s, field, 5);
        s.Write(BitConverter.GetBytes(value));
    }

    private static void WriteString(Stream s, int field, string value) => WriteBytes(s, field, Encoding.UTF8.GetBytes(value));

    private static void WriteMessage(Stream s, int field, MemoryStream message) => WriteBytes(s, field, message.ToArray());

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}
