namespace EdgePruning.Kernels.Training;

/// <summary>
/// One AdamW update as torch.optim.AdamW computes it: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g;
/// v ← β2·v + (1−β2)·g²; p ← p − (lr/c1)·m/(√v/√c2 + eps), with c1 = 1 − β1^t, c2 = 1 − β2^t and g negated
/// when the parameters ascend (<see cref="Maximize"/>).
/// </summary>
public readonly record struct AdamWStep(double LearningRate, double WeightDecay, int StepCount, bool Maximize = false)
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;

    public double BiasCorrection1 => 1 - Math.Pow(Beta1, StepCount);
    public double SqrtBiasCorrection2 => Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
}
