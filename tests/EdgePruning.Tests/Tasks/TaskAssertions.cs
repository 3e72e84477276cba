using EdgePruning.Pruning.Tasks;

namespace EdgePruning.Tests.Tasks;

/// <summary>Properties every generated task keeps, whatever its rules.</summary>
internal static class TaskAssertions
{
    public static IEnumerable<TaskExample> All(TaskDataset task) => task.Train.Concat(task.Validation).Concat(task.Test);

    public static void SizesAre(TaskDataset task, int train, int validation, int test)
    {
        Assert.Equal(train, task.Train.Count);
        Assert.Equal(validation, task.Validation.Count);
        Assert.Equal(test, task.Test.Count);
    }

    public static void WellFormed(TaskDataset task)
    {
        foreach (var ex in All(task))
        {
            Assert.Equal(ex.Clean.Length, ex.Corrupted.Length);
            Assert.NotEmpty(ex.LossPositions);
            Assert.All(ex.LossPositions, p => Assert.InRange(p, 0, ex.Clean.Length - 1));
            Assert.InRange(ex.MetricPosition, 0, ex.Clean.Length - 1);
        }
    }

    /// <summary>The clean sequence carries the answer right after the first loss position, which is the metric's.</summary>
    /// <param name="distinctFirstTokens">false where target and distractor may share a first token (IOI names
    /// such as " Jacqueline" and " Jackie"; the reference keeps those examples).</param>
    public static void AnswerFollowsLossPosition(TaskDataset task, bool distinctFirstTokens = true)
    {
        foreach (var ex in All(task))
        {
            Assert.Equal(ex.MetricPosition, ex.LossPositions[0]);
            Assert.InRange(ex.LossPositions[^1], 0, ex.Clean.Length - 2);
            Assert.Equal(ex.Targets[0], ex.Clean[ex.LossPositions[0] + 1]);
            if (distinctFirstTokens) Assert.NotEqual(ex.Targets[0], ex.Distractors[0]);
        }
    }

    public static void SameData(TaskDataset a, TaskDataset b)
    {
        var x = All(a).ToList();
        var y = All(b).ToList();
        Assert.Equal(x.Count, y.Count);
        for (int i = 0; i < x.Count; i++)
        {
            Assert.Equal(x[i].Clean, y[i].Clean);
            Assert.Equal(x[i].Corrupted, y[i].Corrupted);
            Assert.Equal(x[i].LossPositions, y[i].LossPositions);
            Assert.Equal(x[i].Label, y[i].Label);
        }
    }

    public static bool DifferentData(TaskDataset a, TaskDataset b) =>
        !All(a).Select(e => string.Join(',', e.Clean) + "|" + string.Join(',', e.Corrupted))
            .SequenceEqual(All(b).Select(e => string.Join(',', e.Clean) + "|" + string.Join(',', e.Corrupted)));
}
