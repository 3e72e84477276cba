using EdgePruning.Pruning.Circuits;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Pruning;

/// <summary>
/// Where a finished run fell short of what was asked, one sentence each, so that a circuit that missed its
/// target or has no test metrics says so (on stderr and in circuit.json) instead of looking like a success.
/// </summary>
public static class RunShortfalls
{
    /// <summary>How far below the target the circuit's edge sparsity may end before it counts as missed.</summary>
    public const double SparsitySlack = 0.01;

    public static IReadOnlyList<string> Of(Circuit circuit, PruningOptions options, TaskDataset task, int steps)
    {
        var found = new List<string>();
        // A target above 1 asks for the sparsest circuit the KL allows: there is nothing to reach.
        double target = options.TargetEdgeSparsity;
        if (target <= 1 && circuit.EdgeSparsity < target - SparsitySlack)
            found.Add($"edge sparsity target {target:0.###} not reached: the circuit keeps {circuit.KeptEdgeCount} of {circuit.TotalEdges} edges " +
                $"(sparsity {circuit.EdgeSparsity:0.###}) after {steps} steps; train longer (--steps, --sparsity-warmup) " +
                "or change --lambda-lr (higher pushes harder; lower calms multipliers that swing the sparsity past the target)");
        if (task.Test.Count == 0)
            found.Add(NoTestSplit(task));
        found.AddRange(task.Notes);
        return found;
    }

    public static string NoTestSplit(TaskDataset task)
    {
        int all = task.Train.Count + task.Validation.Count;
        return $"task {task.Name} has no test examples ({all} in all; a file of fewer than 3 unplaced lines keeps them all " +
            "for training): the circuit has no metrics; add lines, or place some with \"split\": \"test\"";
    }
}
