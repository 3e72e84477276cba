using EdgePruning.Pruning.Evaluation;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Baselines;

/// <summary>Which attribution scores start an Edge Pruning run (<see cref="WarmStart"/>), by the name users give.</summary>
public static class WarmStartMethod
{
    public static readonly string[] Names = ["eap", "eap-ig"];

    /// <summary>The name checked (one line naming the choices otherwise).</summary>
    public static string Parse(string name) => Names.Contains(name)
        ? name
        : throw new EdgePruningException($"unknown warm start '{name}' (expected {string.Join(" or ", Names)})");

    /// <summary>The method's edge scores on <paramref name="batches"/>.</summary>
    public static float[] Scores(string name, TaskBatches batches) => Parse(name) switch
    {
        "eap" => Eap.Scores(batches),
        _ => EapIg.Scores(batches),
    };
}
