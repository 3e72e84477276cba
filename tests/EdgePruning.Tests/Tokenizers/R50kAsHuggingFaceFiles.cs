using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace EdgePruning.Tests.Tokenizers;

/// <summary>
/// Writes GPT-2's Hugging Face <c>vocab.json</c> + <c>merges.txt</c> from the r50k_base ranks embedded in
/// Microsoft.ML.Tokenizers.Data.R50kBase, so the file-based path can be checked against the built-in
/// one on the full vocabulary. GPT-2's merge i produced token 256 + i, so the pair for a token is what
/// BPE yields on its bytes when only lower ranks may merge.
/// </summary>
internal static class R50kAsHuggingFaceFiles
{
    private static readonly Lazy<string> s_directory = new(Write);

    /// <summary>A directory holding vocab.json and merges.txt (written once per test run).</summary>
    public static string Directory => s_directory.Value;

    private static string Write()
    {
        var tokens = ReadRanks();
        var rank = new Dictionary<string, int>(tokens.Count);
        for (int r = 0; r < tokens.Count; r++) rank[tokens[r]] = r;

        var lookup = rank.GetAlternateLookup<ReadOnlySpan<char>>();
        var merges = new StringBuilder("#version: 0.2\n");
        var starts = new List<int>();
        for (int r = 256; r < tokens.Count; r++)
        {
            string token = tokens[r];
            starts.Clear();
            for (int i = 0; i <= token.Length; i++) starts.Add(i);
            // starts[i]..starts[i+1] is part i; merge the adjacent pair of lowest rank below r.
            while (true)
            {
                int best = -1, bestRank = r;
                for (int i = 0; i + 2 < starts.Count; i++)
                    if (lookup.TryGetValue(token.AsSpan(starts[i], starts[i + 2] - starts[i]), out int pr) && pr < bestRank) (best, bestRank) = (i, pr);
                if (best < 0) break;
                starts.RemoveAt(best + 1);
            }
            if (starts.Count != 3) throw new InvalidOperationException($"rank {r} does not split into one merge");
            merges.Append(ByteLevel(token[..starts[1]])).Append(' ').Append(ByteLevel(token[starts[1]..])).Append('\n');
        }

        var vocab = new Dictionary<string, int>(tokens.Count + 1);
        for (int r = 0; r < tokens.Count; r++) vocab[ByteLevel(tokens[r])] = r;
        vocab["<|endoftext|>"] = tokens.Count;

        // Beside the test binaries rather than in /tmp: rewritten each run, removed with the build output.
        string dir = Path.Combine(AppContext.BaseDirectory, "gpt2-hf-from-r50k");
        System.IO.Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "vocab.json"), JsonSerializer.Serialize(vocab));
        File.WriteAllText(Path.Combine(dir, "merges.txt"), merges.ToString());
        return dir;
    }

    /// <summary>Token bytes by rank, one char per byte (Latin-1). The resource is a deflated tiktoken
    /// file: base64 token per line, optionally followed by its rank, after a "Capacity:" line.</summary>
    private static List<string> ReadRanks()
    {
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.R50kBase");
        using var stream = assembly.GetManifestResourceStream("r50k_base.tiktoken.deflate")
            ?? throw new InvalidOperationException("r50k_base.tiktoken.deflate is not in Microsoft.ML.Tokenizers.Data.R50kBase");
        using var reader = new StreamReader(new DeflateStream(stream, CompressionMode.Decompress));
        var tokens = new List<string>();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            string[] fields = line.Split(' ');
            if (fields.Length > 1 && int.Parse(fields[1]) != tokens.Count) throw new InvalidOperationException("ranks out of order");
            tokens.Add(Encoding.Latin1.GetString(Convert.FromBase64String(fields[0])));
        }
        return tokens;
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest map to U+0100 onward.</summary>
    public static string ByteLevel(string latin1)
    {
        var sb = new StringBuilder(latin1.Length);
        foreach (char c in latin1) sb.Append(ByteToChar[c]);
        return sb.ToString();
    }

    public static readonly char[] ByteToChar = BuildByteToChar();

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
