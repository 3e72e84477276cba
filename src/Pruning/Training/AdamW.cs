namespace EdgePruning.Pruning.Training;

/// <summary>
/// AdamW (decoupled weight decay) over one flat parameter array, as torch.optim.AdamW computes it
/// (β1 0.9, β2 0.999, eps 1e-8). With <see cref="Maximize"/> the gradient is negated first (the
/// Lagrange multipliers ascend); decay still pulls towards zero.
/// </summary>
public sealed class AdamW
{
    public const double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;

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
        double c1 = 1 - Math.Pow(Beta1, StepCount), c2 = 1 - Math.Pow(Beta2, StepCount);
        double stepSize = lr / c1, sqrtC2 = Math.Sqrt(c2);
        float decay = (float)(1 - lr * WeightDecay);
        var m = First.AsSpan(0, parameters.Length);
        var v = Second.AsSpan(0, parameters.Length);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = Maximize ? -gradients[i] : gradients[i];
            parameters[i] *= decay;
            m[i] = (float)(Beta1 * m[i] + (1 - Beta1) * g);
            v[i] = (float)(Beta2 * v[i] + (1 - Beta2) * g * g);
            double denom = Math.Sqrt(v[i]) / sqrtC2 + Eps;
            parameters[i] -= (float)(stepSize * m[i] / denom);
        }
    }
}
