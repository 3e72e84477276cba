using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>What a removed edge carries instead of the clean writer output.</summary>
public enum Ablation
{
    /// <summary>The writer's output on the corrupted input (the paper's default).</summary>
    Interchange,
    /// <summary>Nothing (Tracr experiments).</summary>
    Zero,
    /// <summary>The writer's output averaged over the training set, tokens and positions.</summary>
    Mean,
    /// <summary>A learned per-writer constant vector, trained with the masks (optimal ablation).</summary>
    OptimalConstant,
}

public static class AblationNames
{
    public static Ablation Parse(string name) => name.ToLowerInvariant() switch
    {
        "interchange" or "corrupted" or "patching" => Ablation.Interchange,
        "zero" => Ablation.Zero,
        "mean" => Ablation.Mean,
        "optimal" or "optimal-constant" or "oa" => Ablation.OptimalConstant,
        _ => throw new EdgePruningException($"unknown ablation '{name}' (expected interchange, zero, mean or optimal)"),
    };

    public static string Name(this Ablation a) => a switch
    {
        Ablation.Interchange => "interchange",
        Ablation.Zero => "zero",
        Ablation.Mean => "mean",
        _ => "optimal",
    };
}
