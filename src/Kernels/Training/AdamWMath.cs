namespace EdgePruning.Kernels.Training;

/// <summary>The AdamW update over spans: the trainer's optimizer and the oracle of the GPU kernel.</summary>
public static class AdamWMath
{
    public static void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> first, Span<float> second, AdamWStep step)
    {
        if (gradients.Length != parameters.Length || first.Length != parameters.Length || second.Length != parameters.Length)
            throw new Runtime.ShapeException($"adamw: {parameters.Length} parameters, {gradients.Length} gradients, moments {first.Length}/{second.Length}");
        double stepSize = step.LearningRate / step.BiasCorrection1, sqrtC2 = step.SqrtBiasCorrection2;
        float decay = (float)(1 - step.LearningRate * step.WeightDecay);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = step.Maximize ? -gradients[i] : gradients[i];
            parameters[i] *= decay;
            first[i] = (float)(AdamWStep.Beta1 * first[i] + (1 - AdamWStep.Beta1) * g);
            second[i] = (float)(AdamWStep.Beta2 * second[i] + (1 - AdamWStep.Beta2) * g * g);
            double denom = Math.Sqrt(second[i]) / sqrtC2 + AdamWStep.Eps;
            parameters[i] -= (float)(stepSize * first[i] / denom);
        }
    }
}
