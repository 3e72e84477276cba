using System.Text;
using EdgePruning.Models.Tokenizers;

namespace EdgePruning.Tests.Tokenizers;

/// <summary>
/// Writes a SentencePiece BPE <c>tokenizer.model</c> (the ModelProto of sentencepiece_model.proto) for a
/// llama2.c vocabulary, which is a SentencePiece export to begin with: same pieces and scores, spaces
/// as U+2581, &lt;s&gt;/&lt;/s&gt; as control pieces, byte tokens as BYTE pieces, no normalization.
/// </summary>
internal static class SentencePieceModelWriter
{
    private const int Normal = 1, Unknown = 2, Control = 3, Byte = 6;
    private const int ModelTypeBpe = 2;

    public static byte[] FromLlama2c(Llama2cTokenizer source)
    {
        var model = new MemoryStream();
        for (int id = 0; id < source.VocabSize; id++)
        {
            string text = source.TokenText(id);
            (string piece, int type) = id switch
            {
                0 => ("<unk>", Unknown),
                Llama2cTokenizer.Bos => ("<s>", Control),
                Llama2cTokenizer.Eos => ("</s>", Control),
                _ when id >= 3 && id < 259 => (text, Byte),
                _ => (text.Replace(' ', '\u2581'), Normal),
            };
            var entry = new MemoryStream();
            WriteString(entry, 1, piece);
            WriteFloat(entry, 2, source.Score(id));
            WriteVarintField(entry, 3, type);
            WriteMessage(model, 1, entry);
        }

        var trainer = new MemoryStream();
        WriteVarintField(trainer, 3, ModelTypeBpe);
        WriteVarintField(trainer, 4, source.VocabSize);
        WriteVarintField(trainer, 35, 1);  // byte_fallback
        WriteVarintField(trainer, 40, 0);  // unk_id
        WriteVarintField(trainer, 41, Llama2cTokenizer.Bos);
        WriteVarintField(trainer, 42, Llama2cTokenizer.Eos);
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
