using System.Buffers.Binary;
using System.Text;

namespace EdgePruning.Models.Tokenizers;

/// <summary>
/// The tokenizer of llama2.c (<c>tokenizer.bin</c>, <c>tok512.bin</c>): SentencePiece BPE pieces with
/// merge scores, encoded the way run.c's <c>encode</c> does it so that prompts give the same ids as
/// the C program. File layout: int32 max_token_length, then per token float32 score, int32 byte
/// length, the bytes. Ids 0, 1, 2 are &lt;unk&gt;, BOS, EOS; ids 3..258 are the byte tokens &lt;0x00&gt;..&lt;0xFF&gt;.
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    public const int Bos = 1;
    public const int Eos = 2;
    private const int ByteTokenOffset = 3;
    private const float RunCFloorScore = -1e10f;

    /// <summary>The file's bytes; piece id's bytes are _data[_start[id] .. _start[id] + _length[id]).</summary>
    private readonly byte[] _data;
    private readonly int[] _start;
    private readonly int[] _length;
    private readonly float[] _scores;
    /// <summary>Each piece as UTF-8 text, made the first time it is asked for.</summary>
    private readonly string?[] _texts;
    /// <summary>The byte a "&lt;0xAB&gt;" token stands for, or -1.</summary>
    private readonly short[] _byteValue;
    private readonly PieceIndex _idByPiece;
    private readonly bool _hasByteTokens;
    private readonly int? _dummyPrefixId;

    public string Source { get; }
    public string Name => $"llama2.c BPE ({Path.GetFileName(Source)}, {VocabSize} tokens)";
    public int VocabSize => _start.Length;
    public int? BosId => VocabSize > Bos ? Bos : null;
    public int? EosId => VocabSize > Eos ? Eos : null;
    public int MaxTokenLength { get; }

    private Llama2cTokenizer(string source, int maxTokenLength, byte[] data, int[] start, int[] length, float[] scores)
    {
        Source = source;
        MaxTokenLength = maxTokenLength;
        _data = data;
        _start = start;
        _length = length;
        _scores = scores;
        int n = start.Length;
        _texts = new string?[n];
        _byteValue = new short[n];
        for (int id = 0; id < n; id++) _byteValue[id] = ParseByteToken(Piece(id));
        _idByPiece = new PieceIndex(data, start, length);
        _hasByteTokens = n >= ByteTokenOffset + 256;
        for (int b = 0; b < 256 && _hasByteTokens; b++) _hasByteTokens = _byteValue[ByteTokenOffset + b] == b;
        _dummyPrefixId = _idByPiece.TryGet(" "u8, out int space) ? space : null;
    }

    private ReadOnlySpan<byte> Piece(int id) => _data.AsSpan(_start[id], _length[id]);

    /// <summary>Reads a llama2.c tokenizer file; throws <see cref="TokenizerException"/> naming the file
    /// when it is missing, truncated or not in this format.</summary>
    public static Llama2cTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: tokenizer file not found");
        byte[] data = File.ReadAllBytes(path);
        if (data.Length < 4) throw new TokenizerException($"{path}: {data.Length} bytes is too short for a llama2.c tokenizer");
        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(data);
        if (maxTokenLength <= 0 || maxTokenLength > 1 << 16)
            throw new TokenizerException($"{path}: not a llama2.c tokenizer (max_token_length = {maxTokenLength})");
        // Some exporters count max_token_length in characters rather than bytes, so allow up to 4 bytes each.
        long maxBytes = 4L * maxTokenLength;
        var starts = new List<int>();
        var lengths = new List<int>();
        var scores = new List<float>();
        int offset = 4;
        while (offset < data.Length)
        {
            int id = starts.Count;
            if (data.Length - offset < 8)
                throw new TokenizerException($"{path}: truncated at token {id} (byte {offset} of {data.Length}: no room for its score and length)");
            float score = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(offset));
            int length = BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(offset + 4));
            offset += 8;
            if (float.IsNaN(score)) throw new TokenizerException($"{path}: token {id} has a NaN score; not a llama2.c tokenizer");
            if (length < 0 || length > maxBytes)
                throw new TokenizerException($"{path}: token {id} claims {length} bytes (max_token_length is {maxTokenLength}); not a llama2.c tokenizer or corrupt");
            if (data.Length - offset < length)
                throw new TokenizerException($"{path}: truncated at token {id} (needs {length} bytes at byte {offset}, file has {data.Length})");
            starts.Add(offset);
            lengths.Add(length);
            scores.Add(score);
            offset += length;
        }
        if (starts.Count <= Eos) throw new TokenizerException($"{path}: only {starts.Count} tokens; a llama2.c tokenizer has at least <unk>, BOS and EOS");
        return new Llama2cTokenizer(path, maxTokenLength, data, [.. starts], [.. lengths], [.. scores]);
    }

    public IReadOnlyList<int> Encode(string text, bool addBos = false) => Encode(text, addBos, addEos: false);

    /// <summary>run.c's encode: BOS, the dummy-prefix space, one token per character (bytes + 3 where the
    /// character is not a piece), then merges of the adjacent pair with the best score, leftmost first.</summary>
    public int[] Encode(string text, bool addBos, bool addEos)
    {
        var tokens = new List<int>(text.Length + 3);
        if (addBos) tokens.Add(Bos);
        // run.c looks up " " unconditionally and would store -1 when it is missing; skipping it is the sane reading.
        if (text.Length > 0 && _dummyPrefixId is int prefix) tokens.Add(prefix);

        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            int n = rune.EncodeToUtf8(utf8);
            if (_idByPiece.TryGet(utf8[..n], out int id))
            {
                tokens.Add(id);
                continue;
            }
            if (!_hasByteTokens)
                throw new TokenizerException($"{Source}: cannot encode U+{rune.Value:X4} '{rune}': it is not in the vocabulary and the file has no byte tokens");
            for (int i = 0; i < n; i++) tokens.Add(utf8[i] + ByteTokenOffset);
        }

        var merged = Merge(tokens);
        if (addEos) merged.Add(Eos);
        return [.. merged];
    }

    /// <summary>
    /// Merges by a priority queue over a linked list instead of run.c's rescan per merge: O(n log n)
    /// rather than O(n²). Ordering by (score desc, left position asc) picks the same pair run.c picks.
    /// Stale entries (a side already merged away or changed) are skipped when popped.
    /// </summary>
    private List<int> Merge(List<int> tokens)
    {
        int n = tokens.Count;
        if (n < 2) return tokens;
        var ids = tokens.ToArray();
        var next = new int[n];
        var prev = new int[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1; prev[i] = i - 1; }
        next[n - 1] = -1;

        var queue = new PriorityQueue<Candidate, Candidate>(n, CandidateOrder.Instance);
        for (int i = 0; i + 1 < n; i++) Offer(queue, i, i + 1, ids);

        while (queue.TryDequeue(out var c, out _))
        {
            if (next[c.Left] != c.Right || ids[c.Left] != c.LeftId || ids[c.Right] != c.RightId) continue;
            ids[c.Left] = c.Merged;
            int after = next[c.Right];
            next[c.Left] = after;
            if (after >= 0) prev[after] = c.Left;
            next[c.Right] = -2;
            ids[c.Right] = -1;
            if (prev[c.Left] >= 0) Offer(queue, prev[c.Left], c.Left, ids);
            if (after >= 0) Offer(queue, c.Left, after, ids);
        }

        var result = new List<int>(n);
        for (int i = 0; i >= 0; i = next[i]) result.Add(ids[i]);
        return result;
    }

    private void Offer(PriorityQueue<Candidate, Candidate> queue, int left, int right, int[] ids)
    {
        // As run.c does: the two pieces' bytes side by side, looked up in the vocabulary (no table of every
        // possible pair is built up front, which took most of the tokenizer's load time).
        ReadOnlySpan<byte> a = Piece(ids[left]), b = Piece(ids[right]);
        int length = a.Length + b.Length;
        Span<byte> pair = length <= 512 ? stackalloc byte[length] : new byte[length];
        a.CopyTo(pair);
        b.CopyTo(pair[a.Length..]);
        if (!_idByPiece.TryGet(pair, out int merged)) return;
        // run.c starts its best score at -1e10 and compares with '>', so such merges never happen there.
        if (!(_scores[merged] > RunCFloorScore)) return;
        var c = new Candidate(_scores[merged], left, right, ids[left], ids[right], merged);
        queue.Enqueue(c, c);
    }

    private readonly record struct Candidate(float Score, int Left, int Right, int LeftId, int RightId, int Merged);

    private sealed class CandidateOrder : IComparer<Candidate>
    {
        public static readonly CandidateOrder Instance = new();
        public int Compare(Candidate a, Candidate b)
        {
            int byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : a.Left.CompareTo(b.Left);
        }
    }

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        int previous = -1;
        foreach (int id in ids)
        {
            CheckId(id);
            AppendBytes(bytes, previous, id);
            previous = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    public string DecodeToken(int previousId, int id)
    {
        CheckId(id);
        var bytes = new List<byte>(_length[id]);
        AppendBytes(bytes, previousId, id);
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private void AppendBytes(List<byte> bytes, int previous, int id)
    {
        if (id == Bos || id == Eos) return;
        if (_byteValue[id] >= 0)
        {
            bytes.Add((byte)_byteValue[id]);
            return;
        }
        ReadOnlySpan<byte> piece = Piece(id);
        if (previous == Bos && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
        foreach (byte b in piece) bytes.Add(b);
    }

    public string TokenText(int id)
    {
        CheckId(id);
        return _texts[id] ??= Encoding.UTF8.GetString(Piece(id));
    }

    public float Score(int id)
    {
        CheckId(id);
        return _scores[id];
    }

    private void CheckId(int id)
    {
        if ((uint)id >= (uint)_start.Length) throw new TokenizerException($"{Source}: token id {id} is outside the vocabulary of {_start.Length}");
    }


    private static short ParseByteToken(ReadOnlySpan<byte> piece)
    {
        if (piece.Length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') return -1;
        int hi = HexDigit(piece[3]), lo = HexDigit(piece[4]);
        return hi < 0 || lo < 0 ? (short)-1 : (short)(hi * 16 + lo);
    }

    private static int HexDigit(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        _ => -1,
    };
}
