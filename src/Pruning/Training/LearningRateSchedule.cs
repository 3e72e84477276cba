namespace EdgePruning.Pruning.Training;

/// <summary>Linear warm-up from 0, then linear decay to 0 at the last step (get_linear_schedule_with_warmup).</summary>
public static class LearningRateSchedule
{
    /// <summary>The multiplier of the base learning rate at <paramref name="step"/> (0-based).</summary>
    public static double Factor(int step, int warmupSteps, int totalSteps)
    {
        if (step < warmupSteps) return (double)step / Math.Max(1, warmupSteps);
        return Math.Max(0.0, (double)(totalSteps - step) / Math.Max(1, totalSteps - warmupSteps));
    }

    /// <summary>The sparsity target at <paramref name="step"/>: a linear ramp from 0 over the warm-up, then held.</summary>
    public static double Target(int step, int warmupSteps, double target) =>
        warmupSteps <= 0 ? target : target * Math.Min(1.0, (double)step / warmupSteps);
}
