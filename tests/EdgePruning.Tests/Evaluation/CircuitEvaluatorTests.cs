using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Pruning.Training;

namespace EdgePruning.Tests.Evaluation;

public class CircuitEvaluatorTests
{
    /// <summary>
    /// prune's final report evaluates with the run's --batch, eval with its own: the KL must not depend
    /// on how the examples are cut into batches, also when examples have different numbers of loss rows
    /// (IOI answers of one and of several tokens).
    /// </summary>
    [Fact]
    public void KlOfACircuit_DoesNotDependOnTheBatchSize_WhenExamplesHaveDifferentLossRows()
    {
        // One loss row for some examples, four for others.
        var (pruner, examples) = ToyTask.Create(i => i % 3 == 0 ? [2, 3, 4, 5] : [5], _ => 5);
        var masks = CircuitMasks.From(pruner.Model.Layout, pruner.State, nodeMasks: false, targetSparsity: 0.7);

        double one = CircuitEvaluator.Evaluate(pruner, masks, examples, 1)["kl"];
        double three = CircuitEvaluator.Evaluate(pruner, masks, examples, 3)["kl"];
        double all = CircuitEvaluator.Evaluate(pruner, masks, examples, examples.Length)["kl"];
        Assert.True(all > 0, $"the circuit's KL is {all}; the test needs a circuit that differs from the model");
        Assert.Equal(all, one, 10);
        Assert.Equal(all, three, 10);
    }
}
