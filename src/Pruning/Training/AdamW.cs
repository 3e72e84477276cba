using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// AdamW (decoupled weight decay) over one flat parameter array, as torch.optim.AdamW computes it
/// (β1 0.9, β2 0.999, eps 1e-8). With <see cref="Maximize"/> the gradient is negated first (the
/// Lagrange multipliers ascend); decay still pulls towards zero.
/// </summary>
public sealed class AdamW
{
    public const double Beta1 = AdamWStep.Beta1, Beta2 = AdamWStep.Beta2, Eps = AdamWStep.Eps;

    public AdamW(int size, double weightDecay, bool maximize = false)
    {
        First = new float[size];
        Second = new float[size];
        WeightDecay = weightDecay;
        Maximize = maximize;
    }

    public float[] First { get; }
    public float[] Second { get; }
    public double WeightDecay { get; }
    public bool Maximize { get; }
    /// <summary>Steps taken so far (the bias correction uses it).</summary>
    public int StepCount { get; set; }

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients, double lr)
    {
        StepCount++;
        CpuAdamW.Step(parameters, gradients, First.AsSpan(0, parameters.Length), Second.AsSpan(0, parameters.Length),
            new AdamWStep(lr, WeightDecay, StepCount, Maximize));
    }
}
