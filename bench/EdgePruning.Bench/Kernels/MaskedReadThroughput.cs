using System.Globalization;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Kernels.MaskedRead;
using EdgePruning.Runtime;

namespace EdgePruning.Bench.Kernels;

/// <summary>
/// `bench masked-read [runs [reference runs]]`: milliseconds per call of the fused masked read and its backward
/// on the CPU engine (<see cref="CpuMaskedRead"/>, on all cores and on one thread) beside the scalar double
/// reference, for reader groups of GPT-2 small (LayerNorm) and of a Llama-shaped model (RMSNorm). Medians of
/// timed runs after warm-up; the reference takes fewer runs. GB/s is the traffic a call must move
/// (<see cref="MaskedReadShape.ForwardBytes"/>, <see cref="MaskedReadShape.BackwardBytes"/>) over its wall time.
/// </summary>
public static class MaskedReadThroughput
{
    private sealed record Case(string Name, MaskedReadNormKind Kind, int Readers, int Writers, int Tokens, int Dim);

    private static readonly Case[] Cases =
    [
        new("GPT-2 small layer, 256 tokens", MaskedReadNormKind.LayerNorm, 36, 50, 256, 768),
        new("GPT-2 small layer, 64 tokens", MaskedReadNormKind.LayerNorm, 36, 50, 64, 768),
        new("Llama-shaped layer, 256 tokens", MaskedReadNormKind.RmsNorm, 18, 40, 256, 288),
    ];

    public static int Run(string[] args)
    {
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 11;
        int referenceRuns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        Console.WriteLine($"# CPU masked read: {Environment.ProcessorCount} cores; load average before {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"timings: median of {runs} samples (reference: {referenceRuns}) after warm-up; ms per call, wall clock on all cores and");
        Console.WriteLine("on-CPU time of one thread (what a busy machine disturbs least); speed-ups on one thread's on-CPU time");
        Console.WriteLine();
        Console.WriteLine("| shape | R×U×N×d | pass | all cores, wall ms | GB/s | 1 thread, on-CPU ms | reference, on-CPU ms | speed-up (1 thread) |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");
        var all = new CpuMaskedRead(Environment.ProcessorCount);
        var single = new CpuMaskedRead(1);
        foreach (var c in Cases)
        {
            var call = new Call(c);
            var shape = new MaskedReadShape(c.Readers, c.Writers, c.Tokens, c.Dim);
            var passes = new (string Name, Action<IMaskedReadKernels> Run, long Bytes)[]
            {
                ("forward", call.Forward, shape.ForwardBytes(call.Norm, DType.F32, DType.F32)),
                ("backward", call.Backward, shape.BackwardBytes(call.Norm, DType.F32, DType.F32, DType.F32)),
            };
            foreach (var (name, run, bytes) in passes)
            {
                var wall = CallTiming.Measure(() => run(all), runs);
                var one = CallTiming.Measure(() => run(single), runs);
                var reference = CallTiming.Measure(() => run(MaskedReadReference.Instance), referenceRuns, warmCalls: 1);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {c.Name} | {c.Readers}×{c.Writers}×{c.Tokens}×{c.Dim} | {name} | {wall.Wall * 1e3:F2} | {bytes / wall.Wall / 1e9:F1} | {one.OnCpu * 1e3:F2} | {reference.OnCpu * 1e3:F0} | {reference.OnCpu / one.OnCpu:F0}× |"));
            }
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>The tensors of one call: random masks in [0,1], D, C, dY normal-ish, γ around 1, gradients added into.</summary>
    private sealed class Call
    {
        private readonly Tensor _z, _stack, _corrupted, _y, _rstd, _dY, _dz, _dStack, _dCorrupted;
        private readonly Tensor? _mean;

        public Call(Case c)
        {
            var rng = new Random(1);
            _z = Fill(rng, 0.5f, 0.5f, c.Readers, c.Writers);
            _stack = Fill(rng, 1f, 0f, c.Writers, c.Tokens, c.Dim);
            _corrupted = Fill(rng, 1f, 0f, c.Tokens, c.Dim);
            var gamma = Fill(rng, 0.5f, 1f, c.Dim);
            Norm = c.Kind == MaskedReadNormKind.LayerNorm
                ? MaskedReadNorm.LayerNorm(gamma, Fill(rng, 0.5f, 0f, c.Dim), 1e-5f)
                : MaskedReadNorm.RmsNorm(gamma, 1e-6f);
            _y = Tensor.Empty(DType.F32, c.Readers, c.Tokens, c.Dim);
            _mean = c.Kind == MaskedReadNormKind.LayerNorm ? Tensor.Empty(DType.F32, c.Readers, c.Tokens) : null;
            _rstd = Tensor.Empty(DType.F32, c.Readers, c.Tokens);
            _dY = Fill(rng, 1f, 0f, c.Readers, c.Tokens, c.Dim);
            _dz = Tensor.Zeros(c.Readers, c.Writers);
            _dStack = Tensor.Zeros(c.Writers, c.Tokens, c.Dim);
            _dCorrupted = Tensor.Zeros(c.Tokens, c.Dim);
            MaskedReadReference.Instance.Forward(_z, _stack, _corrupted, Norm, _y, _mean, _rstd);
        }

        public MaskedReadNorm Norm { get; }

        public void Forward(IMaskedReadKernels k) => k.Forward(_z, _stack, _corrupted, Norm, _y, _mean, _rstd);

        public void Backward(IMaskedReadKernels k) =>
            k.Backward(_z, _stack, _corrupted, Norm, _mean, _rstd, _dY, _dz, _dStack, _dCorrupted);

        private static Tensor Fill(Random rng, float scale, float offset, params int[] dims)
        {
            var t = Tensor.Empty(DType.F32, dims);
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] = offset + scale * (float)(rng.NextDouble() * 2 - 1);
            return t;
        }
    }
}
