using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Benchmarking;

/// <summary>The model shapes a benchmark can name: the known ones and <c>tiny</c>, a GPT-2 shape small enough for tests.</summary>
public static class BenchmarkShapes
{
    public const string Default = "gpt2-small";

    public static readonly IReadOnlyList<string> Names = ["tiny", "gpt2-small", "stories15m", "llama-7b", "codellama-13b"];

    /// <summary>2 layers, 4 heads, d 64, vocab 512, 128 positions.</summary>
    public static TransformerConfig Tiny() => KnownShapes.Gpt2(layers: 2, heads: 4, dim: 64, vocab: 512, positions: 128);

    /// <summary>The named shape, truncated to its first <paramref name="layers"/> layers when given.</summary>
    /// <summary>
    /// <paramref name="config"/>'s graph (layers, heads, KV heads, norms, positions, gating) with the smallest
    /// widths: a step on it issues the same kernel launches as on the full shape, so a 13B step's launches can
    /// be counted on a CPU in seconds.
    /// </summary>
    public static TransformerConfig Skeleton(TransformerConfig config) => config with
    {
        ModelDim = 8,
        HeadDim = 2,
        ValueDim = 0,
        MlpDim = 8,
        VocabSize = 32,
        OutputSize = 0,
        MaxSeqLen = Math.Max(8, Math.Min(config.MaxSeqLen, 64)),
    };

    public static TransformerConfig Get(string name, int? layers = null)
    {
        var config = name.Equals("tiny", StringComparison.OrdinalIgnoreCase) ? Tiny() : KnownShapes.ByName(name)
            ?? throw new EdgePruningException($"unknown shape '{name}' (expected one of {string.Join(", ", Names)})");
        if (layers is { } l)
        {
            if (l < 1 || l > config.Layers) throw new EdgePruningException($"--layers must be in 1..{config.Layers} for {name}, got {l}");
            config = config with { Layers = l };
        }
        return config;
    }
}
