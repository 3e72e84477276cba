using System.Text.Json;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>
/// Writes a safetensors file: tensors in the order they were added, laid out back to back, and the JSON
/// header padded with spaces (as the format allows) so that the data section starts 8-byte aligned.
/// Tensors are referenced, not copied, until <see cref="Write"/>.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly List<(string Name, string DType, int[] Shape, ReadOnlyMemory<byte>? Raw, Tensor? Tensor)> _items = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    public int Count => _items.Count;

    public SafetensorsWriter AddMetadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Adds a tensor in its own dtype (F32, F16 or BF16).</summary>
    public SafetensorsWriter Add(string name, Tensor tensor)
    {
        Claim(name);
        _items.Add((name, SafetensorsDType.FromTensorDType(tensor.DType), tensor.Shape.Dims.ToArray(), null, tensor));
        return this;
    }

    public SafetensorsWriter Add(string name, float[] data, params int[] shape) => Add(name, Tensor.FromData(data, shape));

    /// <summary>Adds raw little-endian bytes under any dtype name the format knows (I64 buffers, F64 tables).</summary>
    public SafetensorsWriter AddRaw(string name, string dtype, int[] shape, byte[] data)
    {
        if (!SafetensorsDType.IsKnown(dtype)) throw new ArgumentException($"unknown safetensors dtype '{dtype}'", nameof(dtype));
        long need = shape.Aggregate(1L, (a, d) => a * d) * SafetensorsDType.SizeOf(dtype);
        if (need != data.Length) throw new ArgumentException($"{dtype} [{string.Join(", ", shape)}] needs {need} bytes, got {data.Length}", nameof(data));
        Claim(name);
        _items.Add((name, dtype, (int[])shape.Clone(), data, null));
        return this;
    }

    public void Write(string path)
    {
        var header = HeaderBytes();
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> len = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        fs.Write(len);
        fs.Write(header);
        foreach (var item in _items)
            fs.Write(item.Tensor is { } t ? t.Bytes : item.Raw!.Value.Span);
    }

    /// <summary>
    /// Writes a Hugging Face checkpoint's weights into <paramref name="directory"/>: <c>model.safetensors</c>
    /// for one shard, else <c>model-0000i-of-0000n.safetensors</c> files of roughly equal size (tensors kept
    /// in order) and a <c>model.safetensors.index.json</c> whose weight_map names each tensor's shard.
    /// </summary>
    public static void WriteCheckpoint(string directory, IReadOnlyList<(string Name, Tensor Tensor)> tensors, int shards = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        Directory.CreateDirectory(directory);
        if (shards == 1)
        {
            var single = new SafetensorsWriter();
            foreach (var (name, t) in tensors) single.Add(name, t);
            single.Write(Path.Combine(directory, SafetensorsIndex.SingleFileName));
            return;
        }
        long total = tensors.Sum(t => t.Tensor.ByteLength);
        var writers = Enumerable.Range(0, shards).Select(_ => new SafetensorsWriter()).ToArray();
        var weightMap = new List<(string Name, string File)>();
        string FileName(int s) => $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
        long before = 0;
        foreach (var (name, t) in tensors)
        {
            // A tensor goes to the shard in whose share of the bytes it starts.
            int s = total == 0 ? 0 : (int)Math.Min(shards - 1, before * shards / total);
            writers[s].Add(name, t);
            weightMap.Add((name, FileName(s)));
            before += t.ByteLength;
        }
        for (int s = 0; s < shards; s++) writers[s].Write(Path.Combine(directory, FileName(s)));
        using var fs = File.Create(Path.Combine(directory, SafetensorsIndex.IndexFileName));
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        w.WriteNumber("total_size", total);
        w.WriteEndObject();
        w.WriteStartObject("weight_map");
        foreach (var (name, file) in weightMap) w.WriteString(name, file);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private byte[] HeaderBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (_metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in _metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var item in _items)
            {
                long bytes = item.Tensor?.ByteLength ?? item.Raw!.Value.Length;
                w.WriteStartObject(item.Name);
                w.WriteString("dtype", item.DType);
                w.WriteStartArray("shape");
                foreach (var d in item.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - (ms.Length % 8)) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private void Claim(string name)
    {
        if (name == "__metadata__" || !_names.Add(name))
            throw new ArgumentException($"tensor name '{name}' is reserved or already added", nameof(name));
    }
}
