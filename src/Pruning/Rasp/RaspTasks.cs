using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Pruning.Rasp;

/// <summary>
/// The pruning task of a compiled program: every valid input of the task length, zero ablation.
/// Categorical programs: KL over the output classes at positions 1..n (BOS is not scored) and accuracy
/// against the program's reference outputs. Numerical programs: the output at every position, BOS
/// included, softmaxed across the sequence (the paper's xproportion loss).
/// </summary>
public static class RaspTasks
{
    public static TaskDataset Create(RaspProgram program, CompiledProgram compiled, int? length = null)
    {
        int n = length ?? program.TaskLength;
        var examples = new List<TaskExample>();
        foreach (var input in program.Inputs(n))
        {
            var clean = compiled.Encode(input);
            var expected = RaspEvaluator.Evaluate(compiled.Output, input);
            examples.Add(new TaskExample
            {
                Clean = clean,
                // Zero ablation never reads it; a shifted input keeps interchange ablation meaningful.
                Corrupted = compiled.Encode(input.Select(t => Shift(program, t))),
                LossPositions = compiled.IsCategorical ? Enumerable.Range(1, n).ToArray() : Enumerable.Range(0, n + 1).ToArray(),
                MetricPosition = n,
                Targets = compiled.IsCategorical ? expected.Select(v => compiled.ClassOf(v!)).ToArray() : [],
                Text = "BOS " + string.Join(' ', input.Select(RaspValues.Name)),
            });
        }
        return new TaskDataset
        {
            Name = "rasp-" + program.Name,
            Train = examples,
            Validation = examples,
            Test = examples,
            Loss = compiled.IsCategorical ? TaskLoss.KlFullVocabulary : TaskLoss.KlAcrossSequence,
            Metric = compiled.IsCategorical ? TaskMetric.Accuracy : TaskMetric.ScalarError,
            DefaultAblation = "zero",
            PadToken = compiled.Info.PadId,
        };
    }

    private static object Shift(RaspProgram program, object token)
    {
        var vocab = program.Vocabulary;
        int i = vocab.ToList().FindIndex(v => RaspValues.Equal(v, token));
        return vocab[(i + 1) % vocab.Count];
    }
}
