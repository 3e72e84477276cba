using EdgePruning.Models;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>A model for the self-test's whole-forward check, with the token batch it runs (host f32 weights).</summary>
public sealed record SelfTestModel(string Name, TransformerConfig Config, TransformerWeights Weights, int Batch, int[] Tokens)
{
    public int TokensPerSequence => Tokens.Length / Batch;

    public string Shape =>
        $"{Config.Family} {Config.Layers}L d{Config.ModelDim} {Config.Heads}/{Config.EffectiveKvHeads} heads, {Batch}×{TokensPerSequence} tokens";
}
