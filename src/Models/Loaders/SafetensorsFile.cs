using System.IO.MemoryMappedFiles;
using System.Text.Json;
using EdgePruning.Runtime;

namespace EdgePruning.Models.Loaders;

/// <summary>One tensor's header entry: stored dtype name, shape and byte range within the data section.</summary>
public sealed record SafetensorsEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// A read-only, memory-mapped safetensors file: an 8-byte little-endian header length, a JSON header
/// (name → dtype, shape, data_offsets, plus an optional <c>__metadata__</c> string map), then the data.
/// The whole header is checked when the file opens, so that a corrupt file fails at once with one
/// message naming the file and the tensor. Tensors from <see cref="GetTensor"/> view the mapping
/// without copying and are valid until <see cref="Dispose"/>; <see cref="ReadF32(string)"/> copies.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The format's own bound on the header, which also stops a corrupt length from allocating gigabytes.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly ExternalStorage _storage;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private byte* _base;
    private bool _disposed;

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer, long length,
        long dataStart, Dictionary<string, SafetensorsEntry> entries, IReadOnlyList<SafetensorsEntry> ordered,
        IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePointer;
        _storage = new ExternalStorage(basePointer, length, this);
        DataStart = dataStart;
        _entries = entries;
        Entries = ordered;
        Metadata = metadata;
    }

    public string Path { get; }
    /// <summary>File offset of the data section (8 + header length).</summary>
    public long DataStart { get; }
    /// <summary>Header entries in data order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    public bool Contains(string name) => _entries.ContainsKey(name);

    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new ModelFormatException($"{Path}: tensor '{name}' not found");

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new ModelFormatException($"{path}: file not found");
        long length = new FileInfo(path).Length;
        if (length < 8)
            throw new ModelFormatException($"{path}: {length} bytes is too short for a safetensors file (no 8-byte header length)");

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        MemoryMappedViewAccessor? view = null;
        byte* p = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            p += view.PointerOffset;
            var header = ParseHeader(path, p, length, out long dataStart, out var entries, out var ordered);
            return new SafetensorsFile(path, map, view, p, length, dataStart, entries, ordered, header);
        }
        catch
        {
            if (p != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>A zero-copy view in the stored dtype (F32, F16 or BF16); valid until this file is disposed.</summary>
    public Tensor GetTensor(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var e = Entry(name);
        var dtype = SafetensorsDType.ToTensorDType(e.DType)
            ?? throw new ModelFormatException($"{Path}: tensor '{name}' is {e.DType}; weights must be F32, F16 or BF16");
        return Tensor.Wrap(_storage, DataStart + e.Begin, dtype, e.Shape);
    }

    /// <summary>An f32 copy in fresh storage, converted from F16, BF16 or F64; it outlives this file.</summary>
    public Tensor ReadF32(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var e = Entry(name);
        if (e.DType == "F64")
        {
            var src = new ReadOnlySpan<double>(_base + DataStart + e.Begin, checked((int)(e.ByteLength / sizeof(double))));
            var dst = Tensor.Empty(DType.F32, e.Shape);
            var span = dst.Span;
            for (int i = 0; i < src.Length; i++) span[i] = (float)src[i];
            return dst;
        }
        var view = GetTensor(name);
        return view.DType == DType.F32 ? view.Clone() : view.ToF32();
    }

    /// <summary><see cref="ReadF32(string)"/> after checking the stored shape.</summary>
    public Tensor ReadF32(string name, params int[] expectedShape)
    {
        var e = Entry(name);
        if (!e.Shape.AsSpan().SequenceEqual(expectedShape))
            throw new ModelFormatException($"{Path}: tensor '{name}' has shape {e.ShapeText}, expected [{string.Join(", ", expectedShape)}]");
        return ReadF32(name);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private static Dictionary<string, string> ParseHeader(string path, byte* p, long fileLength, out long dataStart,
        out Dictionary<string, SafetensorsEntry> entries, out IReadOnlyList<SafetensorsEntry> ordered)
    {
        ulong headerLength = BitConverter.IsLittleEndian ? *(ulong*)p : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(*(ulong*)p);
        if (headerLength > (ulong)(fileLength - 8))
            throw new ModelFormatException($"{path}: header length {headerLength:N0} runs past the end of the file ({fileLength:N0} bytes): truncated or not safetensors");
        if ((long)headerLength > MaxHeaderBytes)
            throw new ModelFormatException($"{path}: header length {headerLength:N0} exceeds the format's limit of {MaxHeaderBytes:N0} bytes");
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(p + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException ex)
        {
            throw new ModelFormatException($"{path}: safetensors header is not valid JSON ({ex.Message})", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException($"{path}: safetensors header is a JSON {doc.RootElement.ValueKind}, expected an object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new ModelFormatException($"{path}: __metadata__ is a JSON {prop.Value.ValueKind}, expected an object of strings");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new ModelFormatException($"{path}: __metadata__ entry '{m.Name}' is a JSON {m.Value.ValueKind}, expected a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                var entry = ParseEntry(path, prop, dataLength);
                if (!entries.TryAdd(entry.Name, entry))
                    throw new ModelFormatException($"{path}: tensor '{entry.Name}' appears twice in the header");
            }

            var sorted = entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End).ToArray();
            for (int i = 1; i < sorted.Length; i++)
            {
                var a = sorted[i - 1];
                var b = sorted[i];
                if (b.Begin < a.End)
                    throw new ModelFormatException($"{path}: tensors '{a.Name}' (bytes {a.Begin}..{a.End}) and '{b.Name}' (bytes {b.Begin}..{b.End}) overlap");
            }
            ordered = sorted;
            return metadata;
        }
    }

    private static SafetensorsEntry ParseEntry(string path, JsonProperty prop, long dataLength)
    {
        string name = prop.Name;
        ModelFormatException Bad(string what) => new($"{path}: tensor '{name}': {what}");
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object) throw Bad($"header entry is a JSON {v.ValueKind}, expected an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Bad("no dtype string");
        string dtype = dt.GetString()!;
        if (!SafetensorsDType.IsKnown(dtype)) throw Bad($"unknown dtype '{dtype}'");

        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Bad("no shape array");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                throw Bad($"shape {sh.GetRawText()} is not a list of non-negative integers");
            i++;
        }

        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("no data_offsets [begin, end]");
        if (!off[0].TryGetInt64(out long begin) || !off[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad($"data_offsets {off.GetRawText()} are not a range [begin, end]");

        long count = 1;
        try
        {
            foreach (var d in shape) count = checked(count * d);
            long bytes = checked(count * SafetensorsDType.SizeOf(dtype));
            var entry = new SafetensorsEntry(name, dtype, shape, begin, end);
            if (bytes != end - begin)
                throw Bad($"dtype {dtype} shape {entry.ShapeText} needs {bytes:N0} bytes, but data_offsets [{begin}, {end}] span {end - begin:N0}");
            if (end > dataLength)
                throw Bad($"data_offsets [{begin}, {end}] lie outside the data section ({dataLength:N0} bytes): truncated file");
            return entry;
        }
        catch (OverflowException)
        {
            throw Bad($"shape {sh.GetRawText()} is too large");
        }
    }
}
