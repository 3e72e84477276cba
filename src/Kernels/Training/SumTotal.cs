namespace EdgePruning.Kernels.Training;

/// <summary>The double a <see cref="ITrainingKernels.Sum"/> result holds as a pair of floats.</summary>
public static class SumTotal
{
    public static double Read(ReadOnlySpan<float> total) => (double)total[0] + total[1];

    public static void Write(double sum, Span<float> total)
    {
        float hi = (float)sum;
        total[0] = hi;
        total[1] = (float)(sum - hi);
    }
}
