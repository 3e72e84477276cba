using System.Diagnostics;
using System.Globalization;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.Training;

namespace EdgePruning.Bench;

/// <summary>
/// The host-side mask math of one Edge Pruning step (EdgePruner.Step without the model): uniform draws,
/// hard-concrete sample, the sparsity term's gradient, the hard-concrete backward, gradient norm and AdamW over
/// every edge mask. "scalar" is the step as it was (scalar double math, fresh arrays every step: the oracles
/// <see cref="HardConcreteMath"/> and <see cref="AdamWMath"/>); "simd" is the trainer's path now (SIMD lanes
/// on every core, buffers reused). The two run in turn, and each phase's median is printed with the ratio,
/// and how far the SIMD results are from the scalar ones.
/// <code>mask-step [runs] [edges ...]     default: 15 runs; 32,936 (GPT-2 small) and 3,872,820 (CodeLlama-13B)</code>
/// </summary>
public static class MaskStepThroughput
{
    private static readonly string[] Phases = ["draw u", "sample z", "sparsity grad", "z backward", "grad norm", "adamw", "step total"];

    public static int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var sizes = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [32_936, 3_872_820];
        Console.WriteLine($"# Host mask math of one step: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; " +
            $"median of {runs} runs after warm-up runs, scalar and simd in turn");
        Console.WriteLine();
        Console.WriteLine("| masks | phase | scalar ms | simd ms | scalar/simd |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: |");
        foreach (int n in sizes)
        {
            var scalar = new Path(n, simd: false);
            var simd = new Path(n, simd: true);
            // Warm-up steps until both paths run fully optimized code (tiered compilation), more for small sizes.
            for (int w = 0; w < (n < 1_000_000 ? 60 : 4); w++)
            {
                scalar.Step(0);
                simd.Step(0);
            }
            var ts = new double[Phases.Length][];
            var tv = new double[Phases.Length][];
            for (int p = 0; p < Phases.Length; p++) (ts[p], tv[p]) = (new double[runs], new double[runs]);
            for (int r = 0; r < runs; r++)
            {
                var a = scalar.Step(r + 1);
                var b = simd.Step(r + 1);
                for (int p = 0; p < Phases.Length; p++) (ts[p][r], tv[p][r]) = (a[p], b[p]);
            }
            for (int p = 0; p < Phases.Length; p++)
            {
                double s = Median(ts[p]), v = Median(tv[p]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {n:N0} | {Phases[p]} | {s:F3} | {v:F3} | {s / v:F1} |"));
            }
            Console.WriteLine(Compare(n));
        }
        return 0;
    }

    /// <summary>One step's mask math, as it was or as it is now; returns each phase's milliseconds.</summary>
    private sealed class Path(int n, bool simd)
    {
        private readonly float[] _logAlpha = InitialLogAlpha(n);
        private readonly float[] _first = new float[n], _second = new float[n];
        private readonly float[] _u = new float[n], _z = new float[n], _dz = new float[n], _g = new float[n];
        private int _t;

        public double[] Step(int step)
        {
            var ms = new double[Phases.Length];
            var total = Stopwatch.StartNew();
            var clock = Stopwatch.StartNew();
            double Lap() { double v = clock.Elapsed.TotalMilliseconds; clock.Restart(); return v; }
            var rng = new Random(step + 1);
            var u = simd ? _u : new float[n];
            HardConcreteOp.DrawUniform(rng, u);
            ms[0] = Lap();
            var z = simd ? _z : new float[n];
            if (simd) CpuHardConcrete.Forward(_logAlpha, u, z);
            else for (int i = 0; i < n; i++) z[i] = (float)Math.Clamp(HardConcreteMath.Stretched(_logAlpha[i], u[i], out _), 0.0, 1.0);
            ms[1] = Lap();
            // The model's ∂KL/∂z stands in as a fixed pattern; the sparsity term adds −ds/E to it.
            var dz = simd ? _dz : new float[n];
            for (int i = 0; i < n; i++) dz[i] = (i % 7 - 3) * 1e-4f;
            clock.Restart();
            if (simd) SparsityOp.Backward(0.5, n, dz);
            else { float c = (float)(-0.5 / n); for (int i = 0; i < n; i++) dz[i] += c; }
            ms[2] = Lap();
            var g = simd ? _g : new float[n];
            if (simd) { Array.Clear(g); CpuHardConcrete.Backward(_logAlpha, u, dz, g); }
            else
                for (int i = 0; i < n; i++)
                {
                    double stretched = HardConcreteMath.Stretched(_logAlpha[i], u[i], out double s);
                    if (stretched > 0 && stretched < 1)
                        g[i] += (float)(dz[i] * (HardConcreteMath.Right - HardConcreteMath.Left) * s * (1 - s) / HardConcreteMath.Beta);
                }
            ms[3] = Lap();
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(g));
            if (norm > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(g, (float)(1 / (norm + 1e-6)), g);
            ms[4] = Lap();
            var adam = new AdamWStep(0.1, 0, ++_t);
            if (simd) CpuAdamW.Step(_logAlpha, g, _first, _second, adam);
            else AdamWMath.Step(_logAlpha, g, _first, _second, adam);
            ms[5] = Lap();
            ms[6] = total.Elapsed.TotalMilliseconds;
            return ms;
        }
    }

    /// <summary>How far the SIMD sample and one AdamW step are from the scalar oracles on the same inputs.</summary>
    private static string Compare(int n)
    {
        var logAlpha = InitialLogAlpha(n);
        var u = new float[n];
        HardConcreteOp.DrawUniform(new Random(7), u);
        var z = new float[n];
        CpuHardConcrete.Forward(logAlpha, u, z);
        int differing = 0, maxUlp = 0;
        for (int i = 0; i < n; i++)
        {
            float expected = (float)Math.Clamp(HardConcreteMath.Stretched(logAlpha[i], u[i], out _), 0.0, 1.0);
            int ulp = Math.Abs(BitConverter.SingleToInt32Bits(expected) - BitConverter.SingleToInt32Bits(z[i]));
            if (ulp != 0) differing++;
            maxUlp = Math.Max(maxUlp, ulp);
        }
        var (p1, p2) = ((float[])logAlpha.Clone(), (float[])logAlpha.Clone());
        var (m1, m2, v1, v2) = (new float[n], new float[n], new float[n], new float[n]);
        var step = new AdamWStep(0.1, 0.01, 1);
        CpuAdamW.Step(p1, z, m1, v1, step);
        AdamWMath.Step(p2, z, m2, v2, step);
        bool same = p1.AsSpan().SequenceEqual(p2) && m1.AsSpan().SequenceEqual(m2) && v1.AsSpan().SequenceEqual(v2);
        return string.Create(CultureInfo.InvariantCulture,
            $"\n{n:N0} masks: simd z differs from the scalar oracle in {differing:N0} entries ({100.0 * differing / n:F4} %), by at most {maxUlp} ulp; " +
            $"AdamW bit-identical to the oracle: {(same ? "yes" : "NO")}\n");
    }

    /// <summary>log α spread over both clamps and the open interval, as in the middle of a run.</summary>
    private static float[] InitialLogAlpha(int n)
    {
        var rng = new Random(3);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 12 - 4);
        return a;
    }

    private static double Median(double[] values)
    {
        var v = (double[])values.Clone();
        Array.Sort(v);
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
    }
}
