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
