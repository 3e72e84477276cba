using System.Numerics;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Kernels.Cpu;

/// <summary>
/// The AdamW update of <see cref="AdamWMath"/> (the scalar oracle) in SIMD lanes and on every core. Each lane
/// widens to double and runs the oracle's operations in its order (multiplies, adds, a correctly rounded square
/// root and divide, no fused multiply-add), then rounds to f32 where the oracle does, so the result is the
/// oracle's bit for bit.
/// </summary>
public static unsafe class CpuAdamW
{
    private const int ChunkEntries = 32768;

    public static void Step(Span<float> parameters, ReadOnlySpan<float> gradients, Span<float> first, Span<float> second, AdamWStep step)
    {
        int n = parameters.Length;
        if (gradients.Length != n || first.Length != n || second.Length != n)
            throw new Runtime.ShapeException($"adamw: {n} parameters, {gradients.Length} gradients, moments {first.Length}/{second.Length}");
        if (n == 0) return;
        var c = new Constants(step);
        fixed (float* p = parameters, g = gradients, m = first, v = second)
        {
            int chunks = (n + ChunkEntries - 1) / ChunkEntries;
            if (chunks == 1)
            {
                Range(p, g, m, v, 0, n, c);
                return;
            }
            var job = Job.ForThisThread;
            job.P = p; job.G = g; job.M = m; job.V = v; job.Count = n; job.C = c;
            CpuParallel.Run(job, chunks, Environment.ProcessorCount);
        }
    }

    private readonly struct Constants(AdamWStep step)
    {
        public readonly double StepSize = step.LearningRate / step.BiasCorrection1;
        public readonly double SqrtC2 = step.SqrtBiasCorrection2;
        public readonly float Decay = (float)(1 - step.LearningRate * step.WeightDecay);
        public readonly bool Maximize = step.Maximize;
    }

    private static void Range(float* p, float* g, float* m, float* v, int start, int end, in Constants c)
    {
        int i = start;
        if (Vector.IsHardwareAccelerated)
        {
            var decay = new Vector<float>(c.Decay);
            var b1 = new Vector<double>(AdamWStep.Beta1);
            var b1c = new Vector<double>(1 - AdamWStep.Beta1);
            var b2 = new Vector<double>(AdamWStep.Beta2);
            var b2c = new Vector<double>(1 - AdamWStep.Beta2);
            var sqrtC2 = new Vector<double>(c.SqrtC2);
            var eps = new Vector<double>(AdamWStep.Eps);
            var stepSize = new Vector<double>(c.StepSize);
            for (; i <= end - Vector<float>.Count; i += Vector<float>.Count)
            {
                var grad = Vector.Load(g + i);
                if (c.Maximize) grad = -grad;
                var param = Vector.Load(p + i) * decay;
                Vector.Widen(grad, out var g0, out var g1);
                Vector.Widen(Vector.Load(m + i), out var m0, out var m1);
                Vector.Widen(Vector.Load(v + i), out var v0, out var v1);
                var mNew = Vector.Narrow(b1 * m0 + b1c * g0, b1 * m1 + b1c * g1);
                var vNew = Vector.Narrow(b2 * v0 + b2c * g0 * g0, b2 * v1 + b2c * g1 * g1);
                mNew.Store(m + i);
                vNew.Store(v + i);
                Vector.Widen(mNew, out m0, out m1);
                Vector.Widen(vNew, out v0, out v1);
                var d0 = Vector.SquareRoot(v0) / sqrtC2 + eps;
                var d1 = Vector.SquareRoot(v1) / sqrtC2 + eps;
                (param - Vector.Narrow(stepSize * m0 / d0, stepSize * m1 / d1)).Store(p + i);
            }
        }
        for (; i < end; i++)
        {
            float grad = c.Maximize ? -g[i] : g[i];
            p[i] *= c.Decay;
            m[i] = (float)(AdamWStep.Beta1 * m[i] + (1 - AdamWStep.Beta1) * grad);
            v[i] = (float)(AdamWStep.Beta2 * v[i] + (1 - AdamWStep.Beta2) * grad * grad);
            double denom = Math.Sqrt(v[i]) / c.SqrtC2 + AdamWStep.Eps;
            p[i] -= (float)(c.StepSize * m[i] / denom);
        }
    }

    private sealed class Job : ParallelJob
    {
        [ThreadStatic] private static Job? t_job;
        public static Job ForThisThread => t_job ??= new();

        public float* P, G, M, V;
        public int Count;
        public Constants C;

        public override void Run(int chunk)
        {
            int start = chunk * ChunkEntries;
            Range(P, G, M, V, start, Math.Min(Count, start + ChunkEntries), C);
        }
    }
}
