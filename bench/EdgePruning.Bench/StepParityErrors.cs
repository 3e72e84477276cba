using System.Globalization;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cuda;
using EdgePruning.Kernels.Parity;
using EdgePruning.Pruning.SelfTest;
using EdgePruning.Runtime;

namespace EdgePruning.Bench;

/// <summary>
/// `step-errors [models folder]`: the measurement behind <see cref="ParityTolerances.ForStep"/>'s rtol. On the CUDA backend
/// (a GPU, or the emulator after <c>source .cuda-emulator/env.sh</c>), every pruning step check of <see cref="StepParity"/>
/// in true f32, with TF32 products and in bf16, on the self-test's tiny models (seeds 1 to 3) and on the models of the
/// folder (default: the shared test models); per model and arithmetic the largest error of a mask gradient against the
/// size of its terms, |a − b| / (S + rms S), over the read paths, and the largest of each arithmetic beside its rtol.
/// </summary>
public static class StepParityErrors
{
    public static int Run(string[] args)
    {
        using var backend = CudaKernelBackend.Open();
        var models = new List<SelfTestModel>();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            models.Add(SelfTestModels.TinyGpt2(seed, batch: 1, tokensPerSequence: 3));
            models.Add(SelfTestModels.TinyLlama(seed, batch: 1, tokensPerSequence: 4));
        }
        string? folder = args.Length > 0 ? args[0] : SelfTestModels.DefaultFolder();
        if (folder is not null) models.AddRange(SelfTestModels.FromFolder(folder, seed: 1));
        Console.WriteLine($"{backend.Name}: {backend.Description}");
        Console.WriteLine($"{"model",-40} {"f32",9} {"tf32",9} {"bf16",9}");
        var largest = new Dictionary<string, double>();
        foreach (var group in models.GroupBy(m => m.Name))
        {
            var row = new List<string>();
            foreach (var (arithmetic, dtype, tf32) in new[] { ("f32", DType.F32, false), ("tf32", DType.F32, true), ("bf16", DType.BF16, false) })
            {
                backend.Context.Cublas.AllowTf32 = tf32;
                var checks = group.SelectMany(m => StepParity.Variants(m.Config).Select(v => StepParity.Check(backend, m, dtype, onDevice: true, v))).ToList();
                if (checks.FirstOrDefault(c => double.IsNaN(c.MaxRelError)) is { } crashed)
                {
                    Console.Error.WriteLine($"bench: error: {crashed.Name} {arithmetic}: {crashed.Detail}");
                    return 1;
                }
                double worst = checks.Max(c => c.MaxRelError);
                largest[arithmetic] = Math.Max(largest.GetValueOrDefault(arithmetic), worst);
                row.Add(worst.ToString("0.00e0", CultureInfo.InvariantCulture).PadLeft(9));
            }
            backend.Context.Cublas.AllowTf32 = false;
            Console.WriteLine($"{group.Key,-40} {string.Join(" ", row)}");
        }
        Console.WriteLine($"{"largest",-40} {string.Join(" ", new[] { "f32", "tf32", "bf16" }.Select(a => largest[a].ToString("0.00e0", CultureInfo.InvariantCulture).PadLeft(9)))}");
        Console.WriteLine($"{"rtol",-40} {string.Join(" ", new[] { (DType.F32, false), (DType.F32, true), (DType.BF16, false) }.Select(p => ParityTolerances.StepTermRtol(p.Item1, p.Item2).ToString("0.00e0", CultureInfo.InvariantCulture).PadLeft(9)))}");
        return 0;
    }
}
