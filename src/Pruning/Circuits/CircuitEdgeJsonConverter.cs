using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgePruning.Pruning.Circuits;

/// <summary>
/// An edge as <c>{"edge": "a0.h1-&gt;m0", "mask": 0.93, "kept": true}</c>. <see cref="WriteLine"/> gives the
/// one-line form that <see cref="CircuitJson"/> puts in an otherwise indented file: a 13B model has 3.9 million
/// edges, and five lines per edge would make the file five times as long to scroll and diff.
/// Reads the object with its fields in any order.
/// </summary>
internal sealed class CircuitEdgeJsonConverter : JsonConverter<CircuitEdge>
{
    private static readonly byte[] EdgeKey = "{\"edge\": \""u8.ToArray();
    private static readonly byte[] MaskKey = "\", \"mask\": "u8.ToArray();
    private static readonly byte[] KeptTrue = ", \"kept\": true}"u8.ToArray();
    private static readonly byte[] KeptFalse = ", \"kept\": false}"u8.ToArray();

    public override void Write(Utf8JsonWriter writer, CircuitEdge value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("edge"u8, value.Name);
        writer.WriteNumber("mask"u8, value.Mask);
        writer.WriteBoolean("kept"u8, value.Kept);
        writer.WriteEndObject();
    }

    /// <summary>Appends the edge as one compact JSON object (no separator, no newline).</summary>
    public static void WriteLine(Stream stream, CircuitEdge value)
    {
        if (!double.IsFinite(value.Mask))
            throw new ArgumentException($"mask of edge {value.Name} is {value.Mask}", nameof(value));
        var name = NeedsEscaping(value.Name)
            ? JsonEncodedText.Encode(value.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes
            : Encoding.UTF8.GetBytes(value.Name);
        Span<byte> number = stackalloc byte[32];
        value.Mask.TryFormat(number, out int written, "R", CultureInfo.InvariantCulture);
        stream.Write(EdgeKey);
        stream.Write(name);
        stream.Write(MaskKey);
        stream.Write(number[..written]);
        stream.Write(value.Kept ? KeptTrue : KeptFalse);
    }

    public override CircuitEdge Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("an edge must be an object {\"edge\", \"mask\", \"kept\"}");
        string? name = null;
        double? mask = null;
        bool? kept = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            if (reader.TokenType != JsonTokenType.PropertyName) throw new JsonException("malformed edge object");
            if (reader.ValueTextEquals("edge"u8)) { reader.Read(); name = reader.GetString(); }
            else if (reader.ValueTextEquals("mask"u8)) { reader.Read(); mask = reader.GetDouble(); }
            else if (reader.ValueTextEquals("kept"u8)) { reader.Read(); kept = reader.GetBoolean(); }
            else { reader.Read(); reader.Skip(); }
        }
        if (name is null || mask is null || kept is null)
            throw new JsonException($"edge object {(name is null ? "" : $"'{name}' ")}lacks {(name is null ? "\"edge\"" : mask is null ? "\"mask\"" : "\"kept\"")}");
        return new CircuitEdge(name, mask.Value, kept.Value);
    }

    private static bool NeedsEscaping(string s)
    {
        foreach (char c in s)
            if (c < 0x20 || c == '"' || c == '\\' || c > 0x7e) return true;
        return false;
    }
}
