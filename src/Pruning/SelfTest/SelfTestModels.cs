using EdgePruning.Models;
using EdgePruning.Models.Loaders;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// The models the self-test runs: a GPT-2-small-shaped model with seeded random weights (always), and every
/// model in a folder that <see cref="ModelLoader"/> loads (the shared test models). Each gets a small batch of
/// seeded token ids: two sequences of ordinary tokens (no BOS, PAD or EOS inside, which would put a Tracr
/// program off its inputs and leave only near-zero outputs to compare), starting with BOS where the model
/// has one, the second ending in PAD where it has one (so that masked keys are part of the check).
/// </summary>
public static class SelfTestModels
{
    public static SelfTestModel RandomGpt2Small(int seed, int batch, int tokensPerSequence)
    {
        var config = KnownShapes.Gpt2Small();
        return WithTokens("gpt2-small (random)", config, RandomModelWriter.CreateWeights(config, seed), seed, batch, tokensPerSequence);
    }

    /// <summary>A tiny GPT-2-shaped model (2 layers, width 64, 4 heads, 256 tokens) with seeded random weights.</summary>
    public static SelfTestModel TinyGpt2(int seed, int batch, int tokensPerSequence)
    {
        var config = KnownShapes.Gpt2(layers: 2, heads: 4, dim: 64, vocab: 256, positions: 32);
        return WithTokens("gpt2-tiny (random)", config, RandomModelWriter.CreateWeights(config, seed), seed, batch, tokensPerSequence);
    }

    /// <summary>A tiny Llama-shaped model (2 layers, width 64, 4 query and 2 KV heads, 256 tokens) with seeded random weights.</summary>
    public static SelfTestModel TinyLlama(int seed, int batch, int tokensPerSequence)
    {
        var config = KnownShapes.Llama(layers: 2, heads: 4, kvHeads: 2, dim: 64, mlp: 172, vocab: 256, positions: 32);
        return WithTokens("llama-tiny (random)", config, RandomModelWriter.CreateWeights(config, seed), seed, batch, tokensPerSequence);
    }

    /// <summary>A small Llama-shaped model (RoPE, grouped KV heads, SwiGLU, RMSNorm) with seeded random weights.</summary>
    public static SelfTestModel RandomLlama(int seed, int batch, int tokensPerSequence)
    {
        var config = KnownShapes.Llama(layers: 2, heads: 8, kvHeads: 2, dim: 256, mlp: 688, vocab: 512, positions: 128);
        return WithTokens("llama-shaped 2×256 (random)", config, RandomModelWriter.CreateWeights(config, seed), seed, batch, tokensPerSequence);
    }

    /// <summary>Every model under <paramref name="folder"/> (one level of subfolders) that loads; files that are not models are passed over.</summary>
    public static IReadOnlyList<SelfTestModel> FromFolder(string folder, int seed, int tokensPerSequence = 6)
    {
        var models = new List<SelfTestModel>();
        foreach (var path in Candidates(folder))
        {
            LoadedModel loaded;
            try
            {
                loaded = ModelLoader.Load(path);
            }
            catch (Exception e) when (e is EdgePruningException or IOException or UnauthorizedAccessException)
            {
                continue;
            }
            string name = Path.GetRelativePath(folder, path);
            models.Add(WithTokens(name, loaded.Config, loaded.Weights, seed, 2, tokensPerSequence));
        }
        return models;
    }

    /// <summary>
    /// The shared test models: $EDGEPRUNE_SHARED/models, else a shared/models folder beside the current
    /// directory or the program or one of their parents; null when there is none.
    /// </summary>
    public static string? DefaultFolder()
    {
        if (Environment.GetEnvironmentVariable("EDGEPRUNE_SHARED") is { Length: > 0 } shared && Directory.Exists(Path.Combine(shared, "models")))
            return Path.Combine(shared, "models");
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "models");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    private static IEnumerable<string> Candidates(string folder)
    {
        var folders = new[] { folder }.Concat(Directory.GetDirectories(folder).Order(StringComparer.Ordinal));
        foreach (var dir in folders)
        {
            if (dir != folder && File.Exists(Path.Combine(dir, ConfigJson.FileName)))
            {
                yield return dir;
                continue;
            }
            foreach (var file in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
                if (file.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                    yield return file;
        }
    }

    private static SelfTestModel WithTokens(string name, TransformerConfig config, TransformerWeights weights, int seed, int batch, int tokensPerSequence)
    {
        int t = Math.Min(tokensPerSequence, config.MaxSeqLen);
        var special = new[] { config.BosTokenId, config.PadTokenId, config.EosTokenId }.Where(id => id >= 0 && id < config.VocabSize).ToHashSet();
        var ordinary = Enumerable.Range(0, config.VocabSize).Where(id => !special.Contains(id)).ToArray();
        if (ordinary.Length == 0) ordinary = Enumerable.Range(0, config.VocabSize).ToArray();
        var rng = new Random(seed);
        var tokens = new int[batch * t];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = ordinary[rng.Next(ordinary.Length)];
        if (special.Contains(config.BosTokenId))
            for (int b = 0; b < batch; b++) tokens[b * t] = config.BosTokenId;
        if (batch > 1 && t > 1 && special.Contains(config.PadTokenId)) tokens[2 * t - 1] = config.PadTokenId;
        return new SelfTestModel(name, config, weights, batch, tokens);
    }
}
