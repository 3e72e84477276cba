namespace EdgePruning.Pruning.Tasks;

/// <summary>How the KL between the full model and the circuit is taken at the loss positions.</summary>
public enum TaskLoss
{
    /// <summary>KL over the whole output vocabulary at each loss position (IOI, GP, user tasks, Tracr reverse).</summary>
    KlFullVocabulary,
    /// <summary>KL over <see cref="TaskDataset.OutputColumns"/> only, re-softmaxed (Greater-Than: "00".."99").</summary>
    KlRestricted,
    /// <summary>
    /// Tracr xproportion: the scalar output at every position, softmaxed across the sequence dimension,
    /// compared by KL (the reference's loss for a numerical output).
    /// </summary>
    KlAcrossSequence,
}

/// <summary>How the per-position KL terms of one example combine before the batch mean over examples.</summary>
public enum KlReduction
{
    /// <summary>Averaged over the example's loss positions (the reference's IOI: batchmean per example, then over the batch).</summary>
    MeanPerExample,
    /// <summary>Summed over the example's loss positions (the reference's Tracr reverse: the positions' KL summed, divided by the batch).</summary>
    SumPerExample,
}

/// <summary>The task's performance metric, reported beside KL.</summary>
public enum TaskMetric
{
    /// <summary>logit[target] − logit[distractor] at the metric position, and accuracy (IOI, GP).</summary>
    LogitDifference,
    /// <summary>Σ p(y &gt; YY) − Σ p(y &lt; YY) over the two-digit tokens (Greater-Than).</summary>
    ProbabilityDifference,
    /// <summary>Accuracy of the argmax against the targets at every loss position (Tracr reverse).</summary>
    Accuracy,
    /// <summary>Mean absolute error of a scalar output against the full model (Tracr xproportion).</summary>
    ScalarError,
}
